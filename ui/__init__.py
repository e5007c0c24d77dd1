"""The Streamlit/Altair kit every page shares: i18n, URL-bound controls, charts, live progress, page frame."""
