"""Chapter 4: inside a convolution — channels and one-hot, a sliding receptive field, overlap, sharing, pooling."""
import math

import streamlit as st

from core import convolution as cv
from ui import charts, page
from ui.controls import presets
from ui.i18n import names, number, sentences, t
from ui.lessons import CONVOLUTION as L
from ui.live import cached_run, live_progress, turn

INTRO = {"overlap": {"m": cv.overlap.M, "restarts": cv.overlap.RESTARTS}}
FIELD_COLOURS = ("#f2f2f2", "#ff7f0e", "#1f77b4", "#9467bd", "#bdbdbd")  # input, mine, neighbour, both, padding


def tr(key: str, **fmt) -> str:
    """This lesson's string `key` in the page's language."""
    return t(f"{L.name}.{key}", **fmt)


def in_colour(frame, index: list[str]):
    """One row per pixel with its "#rrggbb" colour, from a tidy (..., channel, value) frame of R, G, B in [0, 1]."""
    pic = frame.pivot_table(index=index, columns="channel", values="value").reset_index()
    return pic.assign(hex=["#%02x%02x%02x" % tuple(round(255 * v) for v in rgb) for rgb in pic[list(cv.CHANNELS)].values])


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
    side.metric(tr("channels.m_length"), f"{r.length:,}")
    side.metric(tr("channels.m_ce"), number(r.cross_entropy))
    numbers, figure = page.lead()
    numbers.info(tr("channels.verdict", n=cfg.size, length=f"{r.length:,}"))
    with figure, charts.narrow(14):
        cols = st.columns(4)
        with cols[0]:
            charts.show(charts.cells(in_colour(r.channels, ["row", "col"]), "hex", title=tr("channels.picture"),
                                     height=200), None, "picture")
        for col, name, scheme in zip(cols[1:], cv.CHANNELS, ("reds", "greens", "blues")):
            with col:
                charts.show(charts.cells(r.channels[r.channels.channel == name], "value", scheme, domain=(0, 1),
                                         height=200, title=tr("channels.channel", c=name)), None, name)
        charts.show_csv(r.channels, "channels")
    charts.show(charts.lines(r.flat, "index", "value", "channel", points=False, title=tr("channels.flat"),
                             x_title=tr("channels.x_index"), y_title=tr("channels.y_value"), height=200),
                r.flat, "flat_vector")
    out = r.output.melt("class", ["probability", "one_hot"], var_name="what", value_name="value")
    out = out.assign(what=names(out.what, f"{L.name}.channels.what"), txt=out.value.round(2).astype(str))
    st.markdown(tr("channels.output", c=cfg.classes, y=r.label, p=number(r.output.probability[r.label]),
                   ce=number(r.cross_entropy)))
    charts.show(charts.grouped_bars(out, "class", "value", "what", text="txt", title=tr("channels.out_chart"),
                                    x_title=tr("channels.x_class"), y_title=""), r.output, "softmax_one_hot")


def field(cfg: cv.FieldConfig, r: cv.FieldResult, side) -> None:
    """The padded input with two neighbouring fields, the output grid, the size by formula and by conv2d."""
    numbers, figure = page.lead()
    if r.out == 0:
        numbers.warning(tr("field.too_big", k=cfg.k, side=cfg.n + 2 * cfg.p))
    else:
        share = (tr("field.single") if r.out == 1 else tr("field.overlap", o=r.overlap) if r.overlap
                 else tr("field.no_overlap", k=cfg.k, s=cfg.s))
        numbers.info(sentences(tr("field.size", n=cfg.n, k=cfg.k, s=cfg.s, p=cfg.p, out=r.out, conv=r.conv_out), share))
    kinds = dict(zip(("input", "mine", "neighbour", "both", "padding"), FIELD_COLOURS))
    legend = {tr(f"field.cell.{k}"): c for k, c in kinds.items()}
    what = r.cells.field.where(r.cells.field != "none", r.cells.kind)  # a field's colour, else input or padding
    grid = r.cells.assign(what=names(what, f"{L.name}.field.cell"), zero=r.cells.kind.map({"padding": "0", "input": ""}))
    grid_title = "grid_left" if r.left else "grid" if r.out > 1 else "grid_alone"  # which neighbour is drawn, if any
    with figure:
        left, right = st.columns([3, 2])
        with left, charts.narrow(30):
            charts.show(charts.cells(grid, "what", legend, text="zero", height=300,
                                     title=tr(f"field.{grid_title}", i=r.neuron)), r.cells, "receptive_field")
        with right, charts.narrow(22):
            o = r.outputs.assign(what=names(r.outputs.mine.map({True: "me", False: "others"}), f"{L.name}.field.neuron"))
            two = {tr("field.neuron.me"): kinds["mine"], tr("field.neuron.others"): kinds["input"]}
            charts.show(charts.cells(o, "what", two, height=200, title=tr("field.out_grid", o=r.out)),
                        r.outputs, "output_grid")
    with charts.narrow(26):
        for col, name in zip(st.columns(2), ("edge", "random")):
            part = r.maps[r.maps["filter"] == name]
            with col:
                charts.show(charts.cells(part, "value", "redblue", height=220, title=tr(f"field.map.{name}", k=cfg.k)),
                            part, f"feature_map_{name}")
    st.caption(tr("field.map_note", s=cfg.s, p=cfg.p, size=cv.field.IMAGE))


def overlap(cfg: cv.OverlapConfig, r: cv.OverlapResult, side) -> None:
    """Pattern positions seen whole or missed; the two detectors' accuracy where a field holds the pattern or not."""
    acc = r.accuracy.set_index(["stride", "place"]).accuracy
    side.metric(tr("overlap.m_cover"), f"{r.coverage:.0%}")
    numbers, figure = page.lead()
    border, inside = acc.get((cfg.s, "border")), acc[(cfg.s, "inside")]
    missed = border is not None and cfg.s != 1  # some positions are whole in no field
    measured = ([tr("overlap.measured", s=cfg.s, mine=f"{border:.0%}", one=f"{acc[(1, 'border')]:.0%}",
                    inside=f"{inside:.0%}")] if missed else [tr("overlap.all_seen")])
    measured += [tr("overlap.not_inside")] if missed and cfg.k > cv.overlap.M and inside < 0.995 else []
    numbers.info(sentences(tr("overlap.cover", n=r.n, k=cfg.k, s=cfg.s, c=f"{r.coverage:.1%}", f=f"{r.formula:.1%}"),
                           *measured))
    pos = r.positions.assign(what=names(r.positions.seen.map({True: "seen", False: "missed"}), f"{L.name}.overlap.pos"))
    a = r.accuracy.assign(net="s = " + r.accuracy.stride.astype(str), txt=r.accuracy.accuracy.map("{:.0%}".format),
                          place=names(r.accuracy.place, f"{L.name}.overlap.place"))
    with figure:
        left, right = st.columns(2)
        with left, charts.narrow(26):
            colours = {tr("overlap.pos.seen"): "#2ca02c", tr("overlap.pos.missed"): "#d62728"}
            charts.show(charts.cells(pos, "what", colours, height=260, title=tr("overlap.map", m=cv.overlap.M)),
                        r.positions, "positions")
        with right, charts.narrow(26):
            charts.show(charts.grouped_bars(a, "net", "accuracy", "place", text="txt", y_title=tr("overlap.y_acc"),
                                            x_title=tr("overlap.x_net"), title=tr("overlap.acc_chart")), r.accuracy, "accuracy")


def apart(a: float, b: float) -> tuple[str, str]:
    """Two values with as many significant digits as it takes to tell them apart (at most 8)."""
    d = next((d for d in range(3, 9) if f"{a:.{d}g}" != f"{b:.{d}g}"), 8)
    return f"{a:.{d}g}", f"{b:.{d}g}"


def sharing(cfg: cv.SharingConfig, r: cv.SharingResult, side) -> None:
    """Fully connected -> local fields -> convolution: what each step saves; one filter on two patches; AlphaGo."""
    (fc, local, conv), per = r.counts.parameters, r.counts.per_neuron.map("{:,}".format)
    side.metric(tr("sharing.m_field"), number(fc / local) + "×")
    side.metric(tr("sharing.m_share"), number(local / conv) + "×")
    numbers, figure = page.lead()
    step1 = "field" if local < fc else "field_more" if local > fc else "field_same"
    numbers.info(sentences(
        tr("sharing.outputs", n=cfg.n, f=cfg.filters, neurons=f"{r.counts.neurons[0]:,}", fc=f"{fc:,}", per=per[0]),
        tr(f"sharing.{step1}", k=cfg.k, c=cfg.cin, local=f"{local:,}", per=per[1], ratio=number(fc / local),
           inv=number(local / fc)),
        tr("sharing.share", n=cfg.n, conv=f"{conv:,}", ratio=number(local / conv))))
    layer = names(r.counts.layer.str.replace(" ", "_"), f"{L.name}.sharing.layer")
    with figure, charts.narrow(40):
        bars = r.counts.assign(layer=layer, txt=r.counts.parameters.map(number),  # exponents: short axis labels
                               power=r.counts.parameters.astype(float).map(math.log10))
        charts.show(charts.grouped_bars(bars, "layer", "power", "layer", text="txt", height=180,
                                        x_title=tr("sharing.col.layer"), y_title=tr("sharing.y_count"),
                                        title=tr("sharing.chart")), r.counts, "parameters")
    st.table(r.counts[["layer", "parameters", "formula"]].assign(layer=layer, parameters=r.counts.parameters.map(
        "{:,}".format)).rename(columns=lambda c: tr(f"sharing.col.{c}")))
    st.markdown(tr("sharing.two", **dict(zip("ab", apart(*r.two.set_index("neuron").output[[1, 2]])))))
    st.subheader(tr("sharing.alphago"))
    go = r.alphago.layer.str.replace(" + a bias per point", tr("sharing.bias_per_point"))  # core's last layer name
    st.table(r.alphago.assign(layer=go, parameters=r.alphago.parameters.map("{:,}".format))
             .rename(columns=lambda c: tr(f"sharing.col.{c}")))
    st.markdown(tr("sharing.alphago_note", total=f"{r.alphago.parameters.sum():,}", fc=f"{r.alphago_fc:,}"))


def shrink(cfg: cv.ShrinkConfig, r: cv.ShrinkResult, side) -> None:
    """The picture, subsampled and pooled, and their shapes; the sun before and after; receptive fields growing."""
    shape, sun = r.shapes.set_index("view"), r.sun.set_index("view")
    side.metric(tr("shrink.m_channels"), int(shape.channels["pooled"]))
    numbers, figure = page.lead()
    dims = {v: {"h": int(shape.height[v]), "w": int(shape.width[v]), "c": int(shape.channels[v]),
                "n": f"{shape.numbers[v]:,}"} for v in cv.shrink.VIEWS}  # read off the tensors
    pool = tr(f"shrink.kind.{cfg.pool}")
    mixed = [tr(f"shrink.mixed_{cfg.pool}", m=r.mixed, total=dims["pooled"]["h"] * dims["pooled"]["w"])] if r.mixed else []
    numbers.info(sentences(  # {oh}: the original's height, {sn}: the subsampled picture's numbers, ...
        tr("shrink.shapes", f=cfg.factor, pool=pool, **{v[0] + k: x for v, d in dims.items() for k, x in d.items()}),
        tr("shrink.sun" if sun.pixels["subsampled"] else "shrink.sun_gone", a=int(sun.pixels["original"]),
           pa=f"{sun.share['original']:.1%}", b=int(sun.pixels["subsampled"]), pb=f"{sun.share['subsampled']:.1%}"),
        *mixed))
    pic = in_colour(r.views, ["view", "row", "col"])
    with figure, charts.narrow(14):  # titles break after their colon
        for col, name in zip(st.columns(3), cv.shrink.VIEWS):
            with col:  # height 400: about square in a third of the page
                title = tr(f"shrink.view.{cfg.pool if name == 'pooled' else name}", f=cfg.factor, **dims[name])
                charts.show(charts.cells(pic[pic.view == name], "hex", height=400, title=title), None, name)
        charts.show_csv(r.views, "views")
    g = r.growth.assign(kind=names(r.growth.kind.str.replace(" ", "_"), f"{L.name}.shrink.growth_kind"))
    with charts.narrow(50):
        charts.show(charts.lines(g, "depth", "measured", "kind", points=True, integer_x=True, log_y=True, height=240,
                                 title=tr("shrink.growth"), x_title=tr("shrink.x_depth"), y_title=tr("shrink.y_field")),
                    r.growth, "receptive_field_growth")
    st.caption(tr("shrink.growth_note"))


page.header(L)
presets(L)
page.open_tab(L, run, {"channels": channels, "field": field, "overlap": overlap, "sharing": sharing, "shrink": shrink},
              intro=INTRO)
page.takeaway(L)
