"""Chapter 4: pooling vs no pooling in a CNN, side by side; why CNNs need augmentation; a spatial transformer."""
import pandas as pd
import streamlit as st

from ui import charts, page
from ui.controls import presets
from ui.i18n import names, sentences, t
from ui.lessons import POOLING as L
from ui.live import cached_run, live_progress, turn

LAYERS = ["input"] + [f"{k}{i}" for i in (1, 2, 3) for k in ("conv", "pool")] + ["flatten", "fc"]
NETS = ("plain", "augmented", "stn")  # colour order of the invariance tabs' nets, whichever of them is drawn


def named(df: pd.DataFrame) -> pd.DataFrame:
    """Legend names in the page's language: the net ('A: max', 'plain') and the split (test drawn solid)."""
    pools = df["pool"] if "pool" in df else df["model"]
    out = df.assign(net=[f"{m}: {p}" if m in ("A", "B") else t(f"{L.name}.model.{m}") for m, p in zip(df.model, pools)])
    if set(df.model) & set(NETS):  # each net keeps its colour whichever others are shown
        out["net"] = pd.Categorical(out.net, [t(f"{L.name}.model.{m}") for m in NETS])
    if "split" in df:
        out["split"] = pd.Categorical(names(df.split, f"{L.name}.split"),
                                      [t(f"{L.name}.split.test"), t(f"{L.name}.split.train")])
    return out


@cached_run
def run(cfg):
    """One cached run per distinct config (pooling, invariance or transformer): the defaults train once for the class."""
    curve = lambda f: charts.lines(named(f), "epoch", "accuracy", "net", dash="split",  # noqa: E731
                                   title=t(f"{L.name}.accuracy_chart"), y_title=t(f"{L.name}.accuracy_y"), points=False)
    with turn():
        return L.run(cfg, progress=live_progress(t("common.training"), curve))


def pool(cfg, r, side) -> None:
    """Nets A and B side by side: accuracy and loss, what each costs, the shape flow, the feature maps."""
    h, c = named(r.history), r.costs.set_index("model")
    acc = r.final[r.final.split == "test"].set_index("model").accuracy
    net = {m: f"{m}: {c.pool[m]}" for m in c.index}
    dead = c.index[c.diverged]
    stop = dict(stop_x=int(h[h.model.isin(dead)].epoch.max()), stop_label=t(f"{L.name}.diverged_label")) if len(dead) else {}
    for m in dead:
        st.error(t(f"{L.name}.diverged", net=net[m], lr=cfg.lr), icon="💥")
    numbers, figure = page.lead()
    cols = numbers.columns(4)
    for i, m in enumerate(c.index):
        cols[i].metric(t(f"{L.name}.m_acc", net=net[m]), f"{acc[m]:.1f}%")
        cols[2 + i].metric(t(f"{L.name}.m_macs", net=net[m]), f"{c.macs[m]:,}")
    chance = dict(rule_y=25.0 if cfg.task == "what" else 50.0)
    chance["rule_label"] = t(f"{L.name}.chance", p=chance["rule_y"])
    for col, y, extra in zip(figure.columns(2), ("accuracy", "loss"), (chance, {"log_y": True})):
        with col:
            charts.show(charts.lines(h, "epoch", y, "net", dash="split", title=t(f"{L.name}.{y}_chart"), points=False,
                                     x_title=t("common.epoch"), y_title=t(f"{L.name}.{y}_y"), **extra, **stop),
                        r.history, f"pooling_{y}")
    if cfg.task == "where":
        st.info(t(f"{L.name}.where_note", a=acc["A"], b=acc["B"], na=net["A"], nb=net["B"]), icon="♟️")
    st.markdown(f"**{t(f'{L.name}.cost_title')}**")
    table = r.costs[["params", "macs", "macs_late", "activation_kb", "train_s"]].apply(
        lambda col: col.map("{:,}".format if col.name in ("params", "macs", "macs_late") else "{:.2f}".format))
    table.insert(0, "net", list(net.values()))
    st.table(table.rename(columns=lambda k: t(f"{L.name}.col.{k}")).set_index(t(f"{L.name}.col.net")))  # grows on the projector
    big, small = c.macs_late.idxmax(), c.macs_late.idxmin()
    ratio = c.macs_late[big] / c.macs_late[small]
    st.caption(sentences(t(f"{L.name}.cost_note", big=net[big], small=net[small], ratio=ratio) if big != small
                         else t(f"{L.name}.cost_same"), t(f"{L.name}.time_note", sa=c.train_s["A"], sb=c.train_s["B"])))
    macs = pd.concat([pd.DataFrame({"net": list(net.values()), "kind": t(f"{L.name}.kind.{k}"), "macs": c[k].values})
                      for k in ("macs", "macs_late")])
    shapes = named(r.shapes)
    left, right = st.columns(2)
    with left:
        charts.show(charts.grouped_bars(macs, "kind", "macs", "net", title=t(f"{L.name}.macs_chart"), x_title=" ",
                                        y_title=t(f"{L.name}.macs_y")), macs, "pooling_costs")
    with right:
        charts.show(charts.grouped_bars(shapes, "layer", "values", "net", text="shape", log_y=True,
                                        title=t(f"{L.name}.shape_chart"), x_title=t(f"{L.name}.layer"),
                                        y_title=t(f"{L.name}.values_y"), x_order=LAYERS), r.shapes, "shape_flow")
    flat = r.shapes[r.shapes.layer == "flatten"].set_index("model")["values"]
    st.caption(t(f"{L.name}.shape_note", fa=flat["A"], fb=flat["B"], na=net["A"], nb=net["B"]))
    maps = r.maps[(r.maps.stage != "input") | (r.maps.model == "A")]
    first = t(f"{L.name}.stage.input", label=t(f"{L.name}.class.{r.sample_label.replace(' ', '_')}"))
    stage = names(maps.stage, f"{L.name}.stage")  # each distinct label looked up once, not once per pixel
    maps = maps.assign(ch=maps.channel.map({k: t(f"{L.name}.channel", c=k) for k in maps.channel.unique()}),
                       panel=(maps.model + ": " + maps.pool + " · " + stage).where(maps.stage != "input", first))
    charts.show(charts.image_grid(maps, "ch", "panel", title=t(f"{L.name}.maps_chart")), r.maps, "feature_maps")


def warp_charts(cur: pd.DataFrame, name: str, dead: tuple[str, ...]) -> None:
    """Test accuracy against the turn and the zoom, side by side (a grey line at the training pose); nets that
    blew up are named (their curves are left out)."""
    for m in dead:
        st.error(t(f"{L.name}.inv.diverged", net=t(f"{L.name}.model.{m}")), icon="💥")
    for col, warp, at in zip(st.columns(2), ("rotation", "scale"), (0.0, 1.0)):
        with col:
            here = cur[cur.warp == warp]
            charts.show(charts.lines(here, "value", "accuracy", "net", title=t(f"{L.name}.inv.{warp}_chart"), marker_x=at,
                                     x_title=t(f"{L.name}.inv.{warp}_x"), y_title=t(f"{L.name}.accuracy_y"), y_domain=(0, 100),
                                     rule_y=25.0, rule_label=t(f"{L.name}.chance", p=25.0)), here, f"{name}_{warp}")


def poses(s: pd.DataFrame) -> list[str]:
    """'45°' or '×0.60' for each sample's turn or zoom."""
    return [f"{v:g}°" if w == "rotation" else f"×{v:.2f}" for w, v in zip(s.warp, s.grid_value)]


def inv(cfg, r, side) -> None:
    """The plain and the augmented net on turned and zoomed test shapes; what the warped shapes look like."""
    show_aug = page.view(L, "inv", "show_aug", side)
    warp_charts(named(r.curves if show_aug else r.curves[r.curves.model == "plain"]), "invariance", r.diverged)
    s = r.samples.assign(kind=names(r.samples.warp, f"{L.name}.inv"), at=poses(r.samples))
    charts.show(charts.image_grid(s, "at", "kind", px=3, scheme="greys", title=t(f"{L.name}.inv.samples")), s, "warped")
    st.caption(t(f"{L.name}.inv.stn"))


def stn(cfg, r, side) -> dict:
    """The transformer beside the rotation tab's plain and augmented nets (its cached run of the same setting): accuracy
    against turn and zoom, how much of each it takes back, a few test shapes before and after it."""
    base = run(cfg.invariance())
    back = {w: f"{100 * r.undone[w]:.0f}%" if w in r.undone else "–" for w in ("rotation", "scale")}
    numbers, figure = page.lead()
    with figure:
        both = pd.concat([base.curves, r.curves], ignore_index=True)
        warp_charts(named(both), "transformer", base.diverged + r.diverged)
    for col, w in zip(numbers.columns(2), back):
        col.metric(t(f"{L.name}.stn.m_{w}"), back[w])
    for col, w, at in zip(st.columns(2), back, (0.0, 1.0)):
        u = r.undo[r.undo.warp == w]  # the transformer's line and the diagonal of taking all of it back
        lines = pd.concat([u.assign(net=t(f"{L.name}.model.stn")), u.assign(back=u.value, net=t(f"{L.name}.stn.all"))])
        with col:
            charts.show(charts.lines(lines, "value", "back", "net", dash="net", title=t(f"{L.name}.stn.{w}_chart"), marker_x=at,
                                     x_title=t(f"{L.name}.inv.{w}_x"), y_title=t(f"{L.name}.stn.{w}_y"),
                                     rule_y=0.0 if w == "rotation" else 1.0, rule_label=t(f"{L.name}.stn.none")),
                        u, f"takes_back_{w}")
    s = r.samples
    s = s.assign(pose=names(s.warp, f"{L.name}.inv") + " " + poses(s),
                 panel=names(s["shape"], f"{L.name}.class") + " · " + names(s.stage, f"{L.name}.stn.stage"))
    charts.show(charts.image_grid(s, "panel", "pose", px=3, scheme="greys", title=t(f"{L.name}.stn.samples")), r.samples,
                "straightened")
    return {"turn": back["rotation"], "zoom": back["scale"]}


page.header(L)
presets(L)
page.open_tab(L, run, {"pool": pool, "inv": inv, "stn": stn}, skip={"inv": ("show_aug",)})  # each tab ends with its takeaway
