"""DL Live Lab core: plain PyTorch + pandas, one module per lesson. Never imports streamlit."""
import torch
import torch._dynamo  # noqa: F401  torch.optim imports it lazily (~1.7 s): pay that at import, not mid-lesson

# Tiny models gain nothing from intra-op threads, and on a shared 1-2 core server extra
# threads only fight each other; set once for the whole process (every session inherits).
torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:  # raises if already set or after parallel work started
    pass
