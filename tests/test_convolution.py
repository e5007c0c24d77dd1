"""Lesson: inside a convolution — channels and one-hot, a sliding receptive field, overlap, parameter sharing."""
import functools
import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from core.convolution import (GROWTH, ChannelsConfig, FieldConfig, LocalFields, OverlapConfig, SharingConfig,
                              ShrinkConfig, coverage_formula, covered_axis, image_side, out_size, receptive_field,
                              receptive_formula, run_channels, run_field, run_overlap, run_sharing, run_shrink,
                              three_layers)
from core.convolution.image import grey, picture, sun
from core.convolution.shrink import DEPTHS, new_colours, windows
from core.lab import generator
from core.lab import params
from tests.apptest import assert_clean, click_preset, metric, open_page, page_text
from tests.results import assert_same_frames
from tests.claims import claim_seeds, margin
from ui.lessons import CONVOLUTION

SEEDS = claim_seeds()
PRESETS = CONVOLUTION.presets


def span(cls, name):
    p = params(cls)[name]
    return range(int(p.lo), int(p.hi) + 1)


@functools.cache
def overlap(seed: int, **kw):
    return run_overlap(OverlapConfig(seed=seed, **kw))


# --- claims ---------------------------------------------------------------------------------
def test_output_size_is_what_conv2d_returns():
    """Every (n, k, s, p) of the controls: the formula's side equals the shape conv2d really returns."""
    for n, k, s, p in itertools.product(*(span(FieldConfig, f) for f in ("n", "k", "s", "p"))):
        if n + 2 * p < k:  # the kernel does not fit: conv2d refuses, the page says so
            assert out_size(n, k, s, p) == 0
            with pytest.raises(RuntimeError):
                F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p)
            assert run_field(FieldConfig(n=n, k=k, s=s, p=p)).out == 0
            continue
        shape = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p).shape
        assert out_size(n, k, s, p) == shape[-1] == shape[-2], (n, k, s, p)


def test_the_neighbour_is_drawn_on_the_left_in_the_last_column():
    r = run_field(FieldConfig(n=5, k=3, s=1, neuron=2))  # 3 x 3 output: neuron 2 ends the first row
    assert r.left and set(r.cells.field) == {"none", "mine", "neighbour", "both"}
    one = run_field(FieldConfig(n=3, k=3))  # a single neuron: nobody to share with
    assert one.out == 1 and one.overlap == 0 and "neighbour" not in set(one.cells.field)


def test_field_result_reports_the_real_shape():
    r = run_field(FieldConfig(n=7, k=3, s=1, p=1))
    assert r.out == r.conv_out == 7 and r.overlap == 2  # padding keeps the size; neighbours share k - s columns
    counts = r.cells.field.value_counts()
    assert counts["mine"] + counts["both"] == 9 and counts["both"] == 6


def test_coverage_counted_equals_the_closed_form():
    """Every (k, s) of the controls: the share of positions some field sees whole, counted one by one, equals
    the closed form; it is below 1 exactly when s > k - m + 1 (m = 2)."""
    for k, s in itertools.product(span(OverlapConfig, "k"), span(OverlapConfig, "s")):
        n = image_side(k, s)
        axis = covered_axis(n, k, s)
        counted = int((axis.view(-1, 1) & axis.view(1, -1)).sum()) / len(axis) ** 2  # exact: integers
        assert counted == pytest.approx(coverage_formula(n, k, s), abs=1e-12), (k, s)
        assert (counted < 1) == (s > k - 1), (k, s)


def test_coverage_tends_to_the_notes_ratio():
    """On a large image the per-axis share tends to min(1, (k - m + 1) / s)."""
    k, s, n = 3, 3, 3 * 999 + 3
    assert coverage_formula(n, k, s) ** 0.5 == pytest.approx(min(1, (k - 1) / s), abs=1e-3)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_one_filter_detector_fails_where_no_field_sees_the_pattern(seed):
    """Defaults (3 x 3, stride 3): on the field borders the stride-1 detector, whose fields overlap, is right almost
    always; the stride-3 detector is right less often there (the takeaway). Swept on seeds 0-49 while writing the
    words: stride 1 right on 100% of border positions and 98-99% inside; stride 3 on 41-56% of border positions on
    49 seeds, 83% on seed 35 (smallest gap 17 points). The page computes its own sentence from the run."""
    acc = overlap(seed).accuracy.set_index(["stride", "place"]).accuracy
    margin("overlap: stride-1 accuracy on border positions > 0.9", seed, acc[(1, "border")], 0.9)
    margin("overlap: stride-1 accuracy inside fields > 0.9", seed, acc[(1, "inside")], 0.9)
    margin("overlap: stride-1 minus stride-3 accuracy on borders > 0.1", seed, acc[(1, "border")] - acc[(3, "border")], 0.1)
    margin("overlap: stride-3 accuracy inside fields < 0.995 (one filter, several offsets)", seed,
           acc[(3, "inside")], 0.995, above=False)


def test_stride_3_is_usually_no_better_than_random_guessing_on_borders():
    """The takeaway's "usually about as often as random guessing" (and the question's most common answer): at most
    60% right on border positions on most claim seeds (49 of 50 in the sweep)."""
    low = [overlap(seed).accuracy.set_index(["stride", "place"]).accuracy[(3, "border")] <= 0.6 for seed in SEEDS]
    margin("overlap: share of seeds with stride-3 border accuracy <= 0.6 > 0.5", -1, sum(low) / len(low), 0.5)


@pytest.mark.parametrize("k", [3, 4, 5])
def test_one_filter_cannot_rank_every_diagonal_above_every_mirror(k):
    """The 'not perfect inside' sentence: inside a k x k field (k >= 3) the diagonal at offsets (0, 1) and (1, 0)
    scores w01 + w12 and w10 + w21, the mirror image at (0, 0) and (1, 1) scores w01 + w10 and w12 + w21: the same
    total, so for any filter some mirror placement scores at least as high as some diagonal placement."""
    w = torch.randn(k, k, generator=generator(k))
    diag = w[0, 1] + w[1, 2], w[1, 0] + w[2, 1]
    mirror = w[0, 1] + w[1, 0], w[1, 2] + w[2, 1]
    assert sum(diag) == pytest.approx(sum(mirror)) and min(diag) <= max(mirror)


def test_parameter_counts_are_the_real_modules():
    """The notes' 100 x 100 x 3 picture, 64 filters of 3 x 3: the three layers' counts and what each step saves."""
    r = run_sharing(SharingConfig())
    fc, local, conv = r.counts.parameters
    outputs = 100 * 100 * 64
    assert (r.counts.neurons == outputs).all()
    assert fc == outputs * (100 * 100 * 3 + 1) and local == outputs * (3 * 3 * 3 + 1) and conv == 64 * (3 * 3 * 3 + 1)
    assert local / conv == 100 * 100  # sharing divides by the number of positions, exactly
    assert 1000 < fc / local < 1100 and fc > 19e9  # the takeaway's "about a thousand"; the card's "19 billion"
    first = r.alphago.iloc[0]
    assert first.parameters == 5 * 5 * 48 * 192 + 192 and first.output == "19×19×192"
    assert (r.alphago.output.iloc[1:-1] == "19×19×192").all() and r.alphago.output.iloc[-1] == "19×19×1"
    assert r.alphago.parameters.iloc[-1] == 192 + 19 * 19  # a 1 x 1 convolution and a bias per board point
    assert r.alphago_fc == 19 * 19 * 48 * 19 * 19 * 192 + 19 * 19 * 192
    go = run_sharing(SharingConfig(n=19, cin=48, filters=192, k=5))  # the AlphaGo preset's fully connected row
    assert go.counts.parameters[0] == go.alphago_fc


@pytest.mark.parametrize("n, cin, filters, k", [(5, 2, 3, 3), (6, 1, 2, 5), (4, 3, 2, 1)])
def test_local_fields_with_tied_weights_are_the_convolution(n, cin, filters, k):
    """Sharing is exactly the difference: give every position of the local layer the convolution's filter and it
    computes the convolution; each module's count is what the table's formula says."""
    g = generator(0)
    mods = three_layers(n, cin, filters, k, device=torch.device("cpu"))
    conv, local = mods["convolution"], mods["local fields"]
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=g))
        conv.bias.copy_(torch.randn(filters, generator=g))
        local.weight.copy_(conv.weight.flatten(1).expand(n * n, -1, -1))
        local.bias.copy_(conv.bias.expand(n * n, -1))
        x = torch.randn(2, cin, n, n, generator=g)
        assert torch.allclose(local(x), conv(x), atol=1e-5)
        assert mods["fully connected"](x.flatten(1)).shape == (2, filters * n * n)
    counts = run_sharing(SharingConfig(n=n, cin=cin, filters=filters, k=k)).counts.set_index("layer").parameters
    for name, m in mods.items():
        assert counts[name] == sum(p.numel() for p in m.parameters())
    assert counts["local fields"] == n * n * filters * (k * k * cin + 1) and isinstance(local, LocalFields)


@pytest.mark.parametrize("kind", GROWTH)
def test_receptive_field_measured_by_autograd_matches_the_formula(kind):
    for d in DEPTHS:
        assert receptive_field(d, kind) == receptive_formula(d, kind)
    assert [receptive_formula(d, "stride 1") for d in DEPTHS] == [1 + 2 * d for d in DEPTHS]  # + 2 per layer
    if kind != "stride 1":  # the caption: halving the map every layer about doubles the field per layer
        sizes = [receptive_formula(d, kind) for d in DEPTHS]
        assert all(1.5 < b / a <= 3 for a, b in zip(sizes, sizes[1:]))


def test_shared_filter_gives_two_neurons_different_outputs_on_every_seed():
    """'gives two different outputs': the same random 3 x 3 filter on the sky and the grass patch, on every seed
    the page offers (0..9999); the page prints as many digits as it takes to tell them apart (at least 3 differ
    in the 5th significant digit on 4 seeds)."""
    img = grey(picture(16))
    a, b = img[2:5, 3:6], img[11:14, 8:11]  # the patches run_sharing uses
    w3 = torch.randn(3, 3, generator=generator(3))
    assert run_sharing(SharingConfig(seed=3)).two.output.tolist() == [(w3 * a).sum().item(), (w3 * b).sum().item()]
    gap = min(abs((w * a).sum().item() - (w * b).sum().item())
              for w in (torch.randn(3, 3, generator=generator(s)) for s in range(10_000)))
    margin("sharing: smallest |output 1 - output 2| over seeds 0-9999 > 1e-6", -1, gap, 1e-6)


def test_shrink_keeps_the_channels_and_a_large_pattern():
    r = run_shrink(ShrinkConfig())  # the subsample preset: 32 x 32 x 3, step 2, max pooling
    shape = r.shapes.set_index("view")
    assert shape.loc["original", ["height", "channels"]].tolist() == [32, 3]
    assert shape.loc["subsampled", ["height", "width", "channels"]].tolist() == [16, 16, 3]
    assert shape.loc["pooled", ["height", "width", "channels"]].tolist() == [16, 16, 3]
    assert shape.numbers["pooled"] * 4 == shape.numbers["original"]  # the notes: a quarter
    sun = r.sun.set_index("view")
    assert sun.pixels["subsampled"] > 0 and abs(sun.share["subsampled"] - sun.share["original"]) < 0.02
    gone = run_shrink(ShrinkConfig(size=8, factor=4)).sun.set_index("view").pixels  # the intro's limit
    assert gone["original"] > 0 and gone["subsampled"] == 0
    for size, factor, pool in itertools.product((8, 33, 64), (2, 3, 4), ("max", "average")):
        s = run_shrink(ShrinkConfig(size=size, factor=factor, pool=pool)).shapes.set_index("view")
        assert (s.channels == 3).all() and s.height["pooled"] == size // factor  # pooling never touches channels
        assert s.height["subsampled"] == -(-size // factor)


def test_max_pooling_makes_new_colours_only_where_the_sun_meets_the_sky():
    """The verdict's "where the sun meets the sky": for every size and step the page offers, each max-pooled pixel
    whose colour no pixel of its window had comes from a window holding both sun and sky."""
    for size, f in itertools.product(span(ShrinkConfig, "size"), span(ShrinkConfig, "factor")):
        img = picture(size)
        new = new_colours(img, F.max_pool2d(img, f), f)  # (L,)
        both = windows(sun(size)[None].float(), f)[0]  # (f * f, L): which pixels of each window are sun
        assert new.any() and (both[:, new].amax(0) == 1).all() and (both[:, new].amin(0) == 0).all(), (size, f)
    img = picture(32)
    assert run_shrink(ShrinkConfig()).mixed == int(new_colours(img, F.max_pool2d(img, 2), 2).sum()) > 0


def test_questions_read_their_answer_off_the_run():
    """Each question's measure on its preset's run: the answer is what conv2d / the counts / the shapes say."""
    q, p = CONVOLUTION.questions, PRESETS
    size = run_field(FieldConfig(n=p["out_size"]["cvf_n"], k=p["out_size"]["cvf_k"], s=p["out_size"]["cvf_s"],
                                 p=p["out_size"]["cvf_p"]))
    assert q["out_size"].measure(size)[0] == "o4" == f"o{size.conv_out}"
    assert q["sharing"].measure(run_sharing(SharingConfig()))[0] == "sharing"  # x10,000 against x1,072
    assert q["sharing"].measure(run_sharing(SharingConfig(n=10, cin=1, k=1)))[0] == "same"  # x50.5 against x100
    assert q["subsample"].measure(run_shrink(ShrinkConfig()))[0] == "s16c3"
    assert q["stride3"].measure(overlap(0))[0] == "lo"  # seed 0: 46% on the borders


def test_channels_flatten_and_cross_entropy():
    r = run_channels(ChannelsConfig(size=10, classes=4, label=3))
    assert r.length == 300 == len(r.flat) and set(r.channels.channel) == {"R", "G", "B"}
    assert r.output.probability.sum() == pytest.approx(1) and r.output.one_hot.tolist() == [0, 0, 0, 1]
    assert r.cross_entropy == pytest.approx(-math.log(r.output.probability[3]), rel=1e-5)
    assert run_channels(ChannelsConfig(classes=3, label=9)).label == 2  # a label beyond the classes: the last


# --- behaviour --------------------------------------------------------------------------------
SMALL = [(run_channels, ChannelsConfig()), (run_field, FieldConfig()), (run_overlap, OverlapConfig(steps=50)),
         (run_sharing, SharingConfig()), (run_shrink, ShrinkConfig())]


@pytest.mark.parametrize("run,cfg", SMALL)
def test_same_seed_sameframes(run, cfg):
    a = run(cfg)
    assert_same_frames(a, run(cfg))


def test_progress_is_called_early_and_at_the_end():
    calls = []
    run_overlap(OverlapConfig(steps=100), progress=lambda frac, frame: calls.append(frac))
    assert calls[0] == 0.0 and calls[-1] == 1.0 and len(calls) >= 3


def test_bad_config_is_refused():
    for cls, bad in ((FieldConfig, dict(k=6)), (FieldConfig, dict(s=0)), (OverlapConfig, dict(s=6)),
                     (SharingConfig, dict(k=4)), (ChannelsConfig, dict(size=100)), (ShrinkConfig, dict(factor=5)),
                     (ShrinkConfig, dict(pool="min"))):
        with pytest.raises(ValueError):
            cls(**bad)


# --- page -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_show_their_story(name):
    at = open_page(CONVOLUTION.page)
    click_preset(at, CONVOLUTION, name)
    assert_clean(at)
    text = page_text(at)
    if name == "padding":
        assert "= **7**; conv2d returns **7** × 7" in text
    elif name == "stride2":
        assert "share **1** column(s)" in text
    elif name == "stride3":  # the sentence is the run's
        acc = overlap(0).accuracy.set_index(["stride", "place"]).accuracy
        assert f"right **{acc[(3, 'border')]:.0%}** of the time" in text
    elif name == "out_size":
        assert "= **4**; conv2d returns **4** × 4" in text
    elif name == "alphago":
        assert "230,592" in at.table[1].value.to_string()  # its convolution is AlphaGo's first layer
    elif name == "sharing":  # the three counts and both steps' factors, computed
        assert "**19,200,640,000** parameters" in text and "**17,920,000**" in text and "**1,792**" in text
        assert "**1.07k×** fewer" in text and "**10k×** fewer again" in text
        assert metric(at, "Sharing divides by") == "10k×"
    elif name == "subsample":
        assert "16 × 16 × 3 = **768**" in text and "so the 3 channels stay 3" in text
