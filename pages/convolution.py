"""Chapter 4: inside a convolution — channels and one-hot, a sliding receptive field, overlap, sharing, pooling."""
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
    border, inside = acc.get((cfg.s, "border")), acc[(cfg.s, "inside")]
    measured = [t(f"{L.name}.overlap.measured", s=cfg.s, mine=f"{border:.0%}", one=f"{acc[(1, 'border')]:.0%}",
                  inside=f"{inside:.0%}")] if border is not None and cfg.s != 1 else [t(f"{L.name}.overlap.all_seen")]
    if border is not None and cfg.s != 1 and inside < 0.995:  # one filter for every offset inside a field
        measured.append(t(f"{L.name}.overlap.not_inside"))
    numbers.info(sentences(t(f"{L.name}.overlap.cover", n=r.n, k=cfg.k, s=cfg.s, c=f"{r.coverage:.1%}",
                             f=f"{r.formula:.1%}"), *measured))
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


def apart(a: float, b: float) -> tuple[str, str]:
    """Two values with as many significant digits as it takes to tell them apart (at most 8)."""
    d = next((d for d in range(3, 9) if f"{a:.{d}g}" != f"{b:.{d}g}"), 8)
    return f"{a:.{d}g}", f"{b:.{d}g}"


def sharing(cfg: cv.SharingConfig, r: cv.SharingResult, side) -> None:
    """Fully connected -> local fields -> convolution: what each step saves; one filter on two patches; AlphaGo."""
    fc, local, conv = r.counts.parameters
    field, share = fc / local, local / conv
    side.metric(t(f"{L.name}.sharing.m_field"), number(field) + "×")
    side.metric(t(f"{L.name}.sharing.m_share"), number(share) + "×")
    numbers, figure = page.lead()
    step1 = "field" if local < fc else "field_more" if local > fc else "field_same"
    numbers.info(sentences(
        t(f"{L.name}.sharing.outputs", n=cfg.n, f=cfg.filters, neurons=f"{r.counts.neurons[0]:,}", fc=f"{fc:,}",
          per=f"{r.counts.per_neuron[0]:,}"),
        t(f"{L.name}.sharing.{step1}", k=cfg.k, c=cfg.cin, local=f"{local:,}", per=f"{r.counts.per_neuron[1]:,}",
          ratio=number(field), inv=number(1 / field)),
        t(f"{L.name}.sharing.share", n=cfg.n, f=cfg.filters, conv=f"{conv:,}", ratio=number(share))))
    layer = names(r.counts.layer.str.replace(" ", "_"), f"{L.name}.sharing.layer")
    with figure, charts.narrow(40):
        bars = r.counts.assign(layer=layer, txt=r.counts.parameters.map(number))
        charts.show(charts.grouped_bars(bars, "layer", "parameters", "layer", text="txt", log_y=True, height=220,
                                        x_title=t(f"{L.name}.sharing.col.layer"), y_title=t(f"{L.name}.sharing.y_count"),
                                        title=t(f"{L.name}.sharing.chart")), r.counts, "parameters")
    st.table(r.counts[["layer", "parameters", "formula"]].assign(layer=layer, parameters=r.counts.parameters.map(
        "{:,}".format)).rename(columns=lambda c: t(f"{L.name}.sharing.col.{c}")))
    st.markdown(t(f"{L.name}.sharing.two", **dict(zip("ab", apart(*r.two.set_index("neuron").output[[1, 2]])))))
    st.subheader(t(f"{L.name}.sharing.alphago"))
    st.table(r.alphago.assign(parameters=r.alphago.parameters.map("{:,}".format))
             .rename(columns=lambda c: t(f"{L.name}.sharing.col.{c}")))
    st.markdown(t(f"{L.name}.sharing.alphago_note", total=f"{r.alphago.parameters.sum():,}", fc=f"{r.alphago_fc:,}"))


def shrink(cfg: cv.ShrinkConfig, r: cv.ShrinkResult, side) -> None:
    """The picture, subsampled and pooled, their shapes; the sun before and after; receptive fields growing."""
    shape, sun = r.shapes.set_index("view"), r.sun.set_index("view")
    side.metric(t(f"{L.name}.shrink.m_channels"), int(shape.channels["pooled"]))
    numbers, figure = page.lead()
    dims = {v: {"h": int(shape.height[v]), "w": int(shape.width[v]), "c": int(shape.channels[v]),
                "n": f"{shape.numbers[v]:,}"} for v in cv.shrink.VIEWS}  # read off the tensors
    pool = t(f"{L.name}.shrink.kind.{cfg.pool}")
    numbers.info(sentences(
        t(f"{L.name}.shrink.shapes", f=cfg.factor, pool=pool, **{v[0] + k: x for v, d in dims.items() for k, x in d.items()}),
        t(f"{L.name}.shrink.sun" if sun.pixels["subsampled"] else f"{L.name}.shrink.sun_gone", a=int(sun.pixels["original"]),
          pa=f"{sun.share['original']:.1%}", b=int(sun.pixels["subsampled"]), pb=f"{sun.share['subsampled']:.1%}"),
        *([t(f"{L.name}.shrink.mixed_{cfg.pool}", m=r.mixed, total=dims["pooled"]["h"] * dims["pooled"]["w"])]
          if r.mixed else [])))
    pic = r.views.pivot_table(index=["view", "row", "col"], columns="channel", values="value").reset_index()
    pic["hex"] = ["#%02x%02x%02x" % tuple(round(255 * v) for v in rgb) for rgb in pic[list(cv.CHANNELS)].values]
    with figure, charts.narrow(22):
        for col, name in zip(st.columns(3), cv.shrink.VIEWS):
            with col:
                charts.show(charts.cells(pic[pic.view == name], "hex", height=200, title=t(
                    f"{L.name}.shrink.view.{name}", f=cfg.factor, pool=pool, **dims[name])), None, name)
        charts.show_csv(r.views, "views")
    g = r.growth.assign(kind=names(r.growth.kind.str.replace(" ", "_"), f"{L.name}.shrink.growth_kind"))
    with charts.narrow(50):
        charts.show(charts.lines(g, "depth", "measured", "kind", points=True, integer_x=True, log_y=True, height=240,
                                 title=t(f"{L.name}.shrink.growth"), x_title=t(f"{L.name}.shrink.x_depth"),
                                 y_title=t(f"{L.name}.shrink.y_field")), r.growth, "receptive_field_growth")
    st.caption(t(f"{L.name}.shrink.growth_note"))


page.header(L)
presets(L)
page.open_tab(L, run, {"channels": channels, "field": field, "overlap": overlap, "sharing": sharing, "shrink": shrink},
              intro=INTRO)
page.takeaway(L)
