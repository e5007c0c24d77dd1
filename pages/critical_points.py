"""Chapter 3: critical points — local minimum or saddle point? The Hessian at a point, escaping a saddle, a real net."""
import pandas as pd
import streamlit as st

from core import critical_points as cp
from ui import charts, page
from ui.controls import presets
from ui.i18n import names, number, sentences, t
from ui.lessons import CRITICAL_POINTS as L
from ui.live import cached_run, live_progress, turn

INTRO = {"escape": {"n": len(cp.EPS_LADDER), "half": cp.ESCAPED}, "network": {"n": cp.network.N_POINTS}}


@cached_run
def run(cfg):
    """One cached run per distinct config of any section: the defaults run once for the whole class."""
    curve = lambda f: charts.lines(f.assign(phase=names(f.phase, f"{L.name}.network.phase")), "step", "value",  # noqa: E731
                                   "phase", log_y=True, title=t("common.training"), points=False)
    if isinstance(cfg, cp.PointConfig):  # one point's gradient and Hessian: instant, never queued
        return L.run(cfg)
    with turn():
        return L.run(cfg, progress=live_progress(t("common.training"), curve if isinstance(cfg, cp.NetworkConfig) else None))


def picked() -> None:
    """A click on the surface moves the point there (the sliders follow, and so does the link)."""
    cells = st.session_state["chart_loss_surface"].selection.get("cell") or []
    if cells:
        for field in ("w1", "w2"):
            st.session_state[L.section("point").key(field)] = round(float(cells[0][field]), 2)


def point(cfg: cp.PointConfig, r: cp.PointResult, side) -> None:
    """Gradient, Hessian, eigen-pairs and the kind of point; the surface with the arrows; Taylor vs true."""
    (l1, l2), (u1, u2) = r.eigenvalues, r.eigenvectors
    gnorm = sum(x * x for x in r.grad) ** 0.5
    side.metric(t(f"{L.name}.point.m_loss"), number(r.loss))
    side.metric(t(f"{L.name}.point.m_grad"), number(gnorm))
    numbers, figure = page.lead()
    say = dict(l1=number(l1), l2=number(l2), u1=f"({u1[0]:.2f}, {u1[1]:.2f})", u2=f"({u2[0]:.2f}, {u2[1]:.2f})",
               g=number(gnorm), gtol=f"{cp.GRAD_TOL:g}", etol=f"{cp.EIG_TOL:g}", loss=number(r.loss))
    valley = t(f"{L.name}.point.valley", **say) if r.kind == "flat_minimum" and r.loss < 1e-12 else ""
    box = {"saddle": numbers.warning, "minimum": numbers.success, "flat_minimum": numbers.success}.get(r.kind, numbers.info)
    box(sentences(t(f"{L.name}.point.kind.{r.kind}", **say), valley))
    with numbers:
        H, g = r.hessian, r.grad
        left, right = st.columns(2)
        left.latex(rf"g = \begin{{pmatrix}}{g[0]:.3g}\\ {g[1]:.3g}\end{{pmatrix}},\quad "
                   rf"H = \begin{{pmatrix}}{H[0][0]:.3g} & {H[0][1]:.3g}\\ {H[1][0]:.3g} & "
                   rf"{H[1][1]:.3g}\end{{pmatrix}}")
        right.latex(r"\begin{aligned}" + rf"\lambda_1 &= {l1:.3g}, & u_1 &= ({u1[0]:.3g},\ {u1[1]:.3g})\\"
                    rf"\lambda_2 &= {l2:.3g}, & u_2 &= ({u2[0]:.3g},\ {u2[1]:.3g})" + r"\end{aligned}")
    at = pd.DataFrame({"w1": [cfg.w1], "w2": [cfg.w2]})
    hue = lambda lam: "#ff7f0e" if lam < -cp.EIG_TOL else "#17becf" if lam > cp.EIG_TOL else "#dddddd"  # noqa: E731
    d = r.directions
    arrows = pd.DataFrame({"x": d.w1, "y": d.w2, "x2": d.w1_end, "y2": d.w2_end, "label": [
        "−g" if n == "-g" else f"λ = {lam:.2g}" for n, lam in zip(d.name, d.eigenvalue)],
        "colour": ["white" if n == "-g" else hue(lam) for n, lam in zip(d.name, d.eigenvalue)]})
    with figure, charts.narrow(50):
        charts.show(charts.heatmap(r.surface, "w1", "w2", "loss", log_z=False, z_domain=(0, 4), marker=at, arrows=arrows,
                                   height=420, key_right=True, pick="cell", title=t(f"{L.name}.point.chart"), x_title="w₁", y_title="w₂",
                                   z_title=t(f"{L.name}.point.z")), r.surface, "loss_surface", on_select=picked)
        st.caption(t(f"{L.name}.point.arrows"))
    dom = (float(r.taylor.loss.min()), float(r.taylor.loss.max()))  # one colour key for both
    with charts.narrow(26):
        for col, name in zip(st.columns(2), ("true", "taylor")):
            part = r.taylor[r.taylor.surface == name]
            with col:
                charts.show(charts.heatmap(part, "w1", "w2", "loss", log_z=False, z_domain=dom, marker=at, height=300,
                                           title=t(f"{L.name}.point.surface.{name}"), x_title="w₁", y_title="w₂",
                                           z_title=t("common.loss")), part, f"taylor_{name}")
    st.caption(t(f"{L.name}.point.taylor_note", r=cp.saddle.WINDOW))


def escape(cfg: cp.EscapeConfig, r: cp.EscapeResult, side) -> None:
    """Loss and |g| against step for every eps; steps to escape against eps (GD vs momentum); one jump along u."""
    steps = r.escape.set_index(["method", "eps"]).steps
    gd, mom = steps["gd"], steps["momentum"]
    for key, v in (("m_gd", gd[cfg.eps]), ("m_mom", mom[cfg.eps])):
        side.metric(t(f"{L.name}.escape.{key}"), "—" if pd.isna(v) else str(int(v)))
    side.metric(t(f"{L.name}.escape.m_jump", eta=f"{cfg.jump:g}"), number(r.jump_loss))
    numbers, figure = page.lead()
    done = gd.dropna()
    per = (done.iloc[-1] - done.iloc[0]) / (len(done) - 1) if len(done) > 1 else None
    numbers.info(sentences(
        t(f"{L.name}.escape.verdict", eps=f"{cfg.eps:g}", gd=int(gd[cfg.eps]), mom=int(mom[cfg.eps]), half=cp.ESCAPED)
        if not (pd.isna(gd[cfg.eps]) or pd.isna(mom[cfg.eps])) else t(f"{L.name}.escape.not_yet", eps=f"{cfg.eps:g}", n=cfg.steps),
        t(f"{L.name}.escape.per_decade", k=number(per)) if per is not None else "",
        t(f"{L.name}.escape.jump", eta=f"{cfg.jump:g}", before=number(r.saddle_loss), after=number(r.jump_loss))))
    shown = r.history[(r.history.method == "gd") | (r.history.eps == cfg.eps)]  # every eps; momentum from yours
    h = shown.assign(start=lambda f: "ε = " + f.eps.map("{:g}".format),
                     method=lambda f: names(f.method, f"{L.name}.escape.method"))
    with figure, charts.narrow(50):
        charts.show(charts.lines(h, "step", "loss", "start", dash="method", log_x=True, points=False, title=t(f"{L.name}.escape.chart"),
                                 x_title=t("common.step"), y_title=t("common.loss"), rule_y=cp.ESCAPED,
                                 rule_label=t(f"{L.name}.escape.line")), h, "escape_loss")
    left, right = st.columns(2)
    with left, charts.narrow(26):
        g = h[shown.method == "gd"]
        charts.show(charts.lines(g, "step", "grad_norm", "start", log_x=True, log_y=True, points=False,
                                 title=t(f"{L.name}.escape.grad_chart"), x_title=t("common.step"), y_title="‖g‖"),
                    g, "escape_grad")
    with right, charts.narrow(26):
        e = r.escape.assign(method=names(r.escape.method, f"{L.name}.escape.method"))
        charts.show(charts.lines(e.dropna(), "eps", "steps", "method", log_x=True, points=True, marker_x=cfg.eps,
                                 title=t(f"{L.name}.escape.steps_chart"), x_title="ε",
                                 y_title=t(f"{L.name}.escape.y_steps")), e, "escape_steps")
    a = r.along.assign(curve=names(r.along.curve, f"{L.name}.escape.curve"))
    with charts.narrow(50):
        charts.show(charts.lines(a, "t", "loss", "curve", points=False, marker_x=[0.0, cfg.jump], title=t(f"{L.name}.escape.along"),
                                 x_title=t(f"{L.name}.escape.x_t"), y_title=t("common.loss"), height=240), a, "along_u")


def network(cfg: cp.NetworkConfig, r: cp.NetworkResult, side) -> None:
    """Loss against minimum ratio at every near-critical point (colour |g|); the spectrum of one run."""
    p = r.points
    if p.empty:
        return
    show = page.view(L, "network", "show", side, hi=cfg.runs)
    k = cp.summary(p)
    side.metric(t(f"{L.name}.network.m_minima"), f"{k['minima']}/{k['n']}")
    side.metric(t(f"{L.name}.network.m_ratio"), number(p.ratio.median()))
    numbers, figure = page.lead()
    count = str(k["lo"]) if k["lo"] == k["hi"] else f"{k['lo']}–{k['hi']}"  # negative eigenvalues per point
    verdict = "verdict" if k["neg"] else "verdict_none"  # no point with a negative eigenvalue: no range to give
    numbers.info(t(f"{L.name}.network.{verdict}", P=cp.n_params(cfg.hidden), tol=f"{cp.NET_EIG_TOL:g}", count=count,
                   **{key: number(v) if isinstance(v, float) else v for key, v in k.items()}))
    with figure, charts.narrow(50):
        charts.show(charts.scatter(p, "loss", "ratio", "grad_norm", log_x=True, log_color=True, ring=p[p.run == show],
                                   y_domain=(0, 1), rule_y=1.0, rule_label=t(f"{L.name}.network.rule"),
                                   title=t(f"{L.name}.network.chart", n=len(p)), x_title=t(f"{L.name}.network.x_loss"),
                                   y_title=t(f"{L.name}.network.y_ratio", tol=f"{cp.NET_EIG_TOL:g}"), color_title="‖g‖"),
                    p, "near_critical_points")
    s = r.spectrum[r.spectrum.run == show].assign(negative=lambda f: f.eigenvalue < cp.network.NEGATIVE)
    with charts.narrow(50):
        charts.show(charts.bars(s, "index", "eigenvalue", highlight="negative", symlog=1e-4, height=260,
                                title=t(f"{L.name}.network.spectrum", run=show), x_title=t(f"{L.name}.network.x_index"),
                                y_title=t(f"{L.name}.network.y_eig")), s, "spectrum")


page.header(L)
presets(L)
page.open_tab(L, run, {"point": point, "escape": escape, "network": network}, skip={"network": ("show",)}, intro=INTRO)
page.takeaway(L)
