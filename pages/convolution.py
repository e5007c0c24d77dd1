"""Chapter 4: inside a convolution — channels and one-hot, a sliding receptive field, overlap, parameter sharing."""
import streamlit as st

from core import convolution as cv
from ui import charts, page
from ui.controls import presets
from ui.i18n import names, number, sentences, t
from ui.lessons import CONVOLUTION as L
from ui.live import cached_run, live_progress, turn

INTRO = {"overlap": {"m": cv.overlap.M, "restarts": cv.overlap.RESTARTS}}
FIELD_COLOURS = ("#f2f2f2", "#ff7f0e", "#1f77b4", "#9467bd", "#bdbdbd")  # input, mine, neighbour, both, padding


@cached_run
def run(cfg):
    """One cached run per distinct config of any section: the defaults run once for the whole class."""
    if isinstance(cfg, cv.OverlapConfig):
        curve = lambda f: charts.lines(f.assign(stride="s = " + f.stride.astype(str)), "step", "loss", "stride",  # noqa: E731
                                       title=t("common.training"), points=False)
        with turn():
            return L.run(cfg, progress=live_progress(t("common.training"), curve))
    return L.run(cfg)  # the other sections count and convolve: instant, never queued


def channels(cfg: cv.ChannelsConfig, r: cv.ChannelsResult, side) -> None:
    """The picture, its three channels, where they land in the flat vector; softmax against the one-hot label."""
    side.metric(t(f"{L.name}.channels.m_length"), f"{r.length:,}")
    side.metric(t(f"{L.name}.channels.m_ce"), number(r.cross_entropy))
    numbers, figure = page.lead()
    numbers.info(t(f"{L.name}.channels.verdict", n=cfg.size, length=f"{r.length:,}"))
    pic = r.channels.pivot_table(index=["row", "col"], columns="channel", values="value").reset_index()
    pic["hex"] = ["#%02x%02x%02x" % tuple(round(255 * v) for v in rgb) for rgb in pic[list(cv.CHANNELS)].values]
    with figure, charts.narrow(14):
        cols = st.columns(4)
        with cols[0]:
            charts.show(charts.cells(pic, "hex", title=t(f"{L.name}.channels.picture"), height=200), None, "picture")
        for col, name, scheme in zip(cols[1:], cv.CHANNELS, ("reds", "greens", "blues")):
            with col:
                charts.show(charts.cells(r.channels[r.channels.channel == name], "value", scheme, domain=(0, 1),
                                         height=200, title=t(f"{L.name}.channels.channel", c=name)), None, name)
        charts.show_csv(r.channels, "channels")
    charts.show(charts.lines(r.flat, "index", "value", "channel", points=False, title=t(f"{L.name}.channels.flat"),
                             x_title=t(f"{L.name}.channels.x_index"), y_title=t(f"{L.name}.channels.y_value"),
                             height=200), r.flat, "flat_vector")
    out = r.output.melt("class", ["probability", "one_hot"], var_name="what", value_name="value")
    out = out.assign(what=names(out.what, f"{L.name}.channels.what"), txt=out.value.round(2).astype(str))
    st.markdown(t(f"{L.name}.channels.output", c=cfg.classes, y=r.label, p=number(r.output.probability[r.label]),
                  ce=number(r.cross_entropy)))
    charts.show(charts.grouped_bars(out, "class", "value", "what", text="txt", title=t(f"{L.name}.channels.out_chart"),
                                    x_title=t(f"{L.name}.channels.x_class"), y_title=""), r.output, "softmax_one_hot")


def field(cfg: cv.FieldConfig, r: cv.FieldResult, side) -> None:
    """The padded input with two neighbouring fields, the output grid, the size by formula and by conv2d."""
    numbers, figure = page.lead()
    if r.out == 0:
        numbers.warning(t(f"{L.name}.field.too_big", k=cfg.k, side=cfg.n + 2 * cfg.p))
    else:
        share = (t(f"{L.name}.field.single") if r.out == 1 else t(f"{L.name}.field.overlap", o=r.overlap) if r.overlap
                 else t(f"{L.name}.field.no_overlap", k=cfg.k, s=cfg.s))
        numbers.info(sentences(t(f"{L.name}.field.size", n=cfg.n, k=cfg.k, s=cfg.s, p=cfg.p, out=r.out, conv=r.conv_out), share))
    kinds = dict(zip(("input", "mine", "neighbour", "both", "padding"), FIELD_COLOURS))
    legend = {t(f"{L.name}.field.cell.{k}"): c for k, c in kinds.items()}
    what = r.cells.field.where(r.cells.field != "none", r.cells.kind)  # a field's colour, else input or padding
    grid = r.cells.assign(what=names(what, f"{L.name}.field.cell"), zero=r.cells.kind.map({"padding": "0", "input": ""}))
    with figure:
        left, right = st.columns([3, 2])
        with left, charts.narrow(30):
            charts.show(charts.cells(grid, "what", legend, text="zero", height=300, title=t(f"{L.name}.field.grid_left" if r.left else f"{L.name}.field.grid", i=r.neuron)),
                        r.cells, "receptive_field")
        with right, charts.narrow(22):
            o = r.outputs.assign(what=names(r.outputs.mine.map({True: "me", False: "others"}), f"{L.name}.field.neuron"))
            two = {t(f"{L.name}.field.neuron.me"): kinds["mine"], t(f"{L.name}.field.neuron.others"): kinds["input"]}
            charts.show(charts.cells(o, "what", two, height=200, title=t(f"{L.name}.field.out_grid", o=r.out)),
                        r.outputs, "output_grid")
    with charts.narrow(26):
        for col, name in zip(st.columns(2), ("edge", "random")):
            part = r.maps[r.maps["filter"] == name]
            with col:
                charts.show(charts.cells(part, "value", "redblue", height=220,
                                         title=t(f"{L.name}.field.map.{name}", k=cfg.k)), part, f"feature_map_{name}")
    st.caption(t(f"{L.name}.field.map_note", s=cfg.s, p=cfg.p, size=cv.field.IMAGE))


def overlap(cfg: cv.OverlapConfig, r: cv.OverlapResult, side) -> None:
    """Pattern positions seen whole or missed; the two detectors' accuracy inside fields and on their borders."""
    acc = r.accuracy.set_index(["stride", "place"]).accuracy
    side.metric(t(f"{L.name}.overlap.m_cover"), f"{r.coverage:.0%}")
    numbers, figure = page.lead()
    border = [acc.get((s, "border")) for s in (cfg.s, 1)]
    numbers.info(sentences(
        t(f"{L.name}.overlap.cover", n=r.n, k=cfg.k, s=cfg.s, c=f"{r.coverage:.1%}", f=f"{r.formula:.1%}"),
        t(f"{L.name}.overlap.measured", s=cfg.s, mine=f"{border[0]:.0%}", one=f"{border[1]:.0%}",
          inside=f"{acc[(cfg.s, 'inside')]:.0%}")
        if border[0] is not None and cfg.s != 1 else t(f"{L.name}.overlap.all_seen")))
    pos = r.positions.assign(what=names(r.positions.seen.map({True: "seen", False: "missed"}), f"{L.name}.overlap.pos"))
    a = r.accuracy.assign(net="s = " + r.accuracy.stride.astype(str), place=names(r.accuracy.place, f"{L.name}.overlap.place"),
                          txt=r.accuracy.accuracy.map("{:.0%}".format))
    with figure:
        left, right = st.columns(2)
        with left, charts.narrow(26):
            charts.show(charts.cells(pos, "what", {t(f"{L.name}.overlap.pos.seen"): "#2ca02c", t(f"{L.name}.overlap.pos.missed"): "#d62728"},
                                     height=260, title=t(f"{L.name}.overlap.map", m=2)), r.positions, "positions")
        with right, charts.narrow(26):
            charts.show(charts.grouped_bars(a, "net", "accuracy", "place", text="txt", y_title=t(f"{L.name}.overlap.y_acc"),
                                            x_title="", title=t(f"{L.name}.overlap.acc_chart")), r.accuracy, "accuracy")


def sharing(cfg: cv.SharingConfig, r: cv.SharingResult, side) -> None:
    """Counts of real modules; one filter on two patches; receptive fields growing; subsampling; AlphaGo."""
    fc, conv = r.counts.parameters
    side.metric(t(f"{L.name}.sharing.m_ratio"), number(fc / conv) + "×")
    numbers, figure = page.lead()
    numbers.info(t(f"{L.name}.sharing.verdict" if fc > conv else f"{L.name}.sharing.verdict_more", fc=f"{fc:,}",
                   conv=f"{conv:,}", ratio=number(fc / conv)))
    with figure:
        st.table(r.counts.assign(layer=names(r.counts.layer, f"{L.name}.sharing.layer"), parameters=r.counts.parameters
                                 .map("{:,}".format)).rename(columns=lambda c: t(f"{L.name}.sharing.col.{c}")))
    two = r.two.set_index("neuron").output
    st.markdown(t(f"{L.name}.sharing.two", a=number(two[1]), b=number(two[2])))
    g = r.growth.assign(kind=names(r.growth.kind.str.replace(" ", "_"), f"{L.name}.sharing.kind"))
    with charts.narrow(50):
        charts.show(charts.lines(g, "depth", "measured", "kind", points=True, integer_x=True, log_y=True, height=240,
                                 title=t(f"{L.name}.sharing.growth"), x_title=t(f"{L.name}.sharing.x_depth"),
                                 y_title=t(f"{L.name}.sharing.y_field")), r.growth, "receptive_field_growth")
    with charts.narrow(22):
        for col, name in zip(st.columns(3), ("original", "subsampled", "pooled")):
            with col:
                charts.show(charts.cells(r.shrink[r.shrink.view == name], "value", "greys", height=200,
                                         title=t(f"{L.name}.sharing.view.{name}")), None, name)
    charts.show_csv(r.shrink, "subsampling")
    st.subheader(t(f"{L.name}.sharing.alphago"))
    st.table(r.alphago.assign(parameters=r.alphago.parameters.map("{:,}".format))
             .rename(columns=lambda c: t(f"{L.name}.sharing.col.{c}")))
    st.markdown(t(f"{L.name}.sharing.alphago_note", total=f"{r.alphago.parameters.sum():,}", fc=f"{r.alphago_fc:,}"))


page.header(L)
presets(L)
page.open_tab(L, run, {"channels": channels, "field": field, "overlap": overlap, "sharing": sharing}, intro=INTRO)
page.takeaway(L)
