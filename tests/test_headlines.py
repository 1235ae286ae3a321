"""Tests of clickbait/spam headline scoring (classify.headlines)."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from classify import persist
from classify.headlines import (
    CLICKBAIT,
    DATA_DIR,
    DEFAULT_CORPORA,
    DEFAULT_MODEL_PATH,
    HeadlineClassifier,
    LabelledHeadlines,
    load_headline_model,
    load_ood_headlines,
    read_corpus,
    read_labelled_tsv,
    split_corpus,
)

CORPUS = DEFAULT_CORPORA / "clickbait_chakraborty.jsonl.gz"
# Corpus headlines for the small test model: enough to learn, fast enough for a unit test.
SAMPLE_SIZE = 2000

# Lines of the seed page (seeds/000_42de02defef711ca.txt), a test page never trained on.
SEED_TITLE = "Putin visits Kazakhstan, part of his efforts to cement ties with ex-Soviet neighbors"
SEED_CRYPTO = "From Astronomy to Blockchain: The Journey of James Williams, the Crypto Visionary"
SEED_CELEBRITY = (
    'Selena Gomez\'s "Weird Uncles" Steve Martin and Martin Short React to Her Engagement',
    "Teen Social Media Star Lil Tay Confirms She's Alive And Not Dead After Hoax",
)

BAD_INPUTS = [
    "",
    " ",
    "x" * 10_000,
    "Breaking " * 2_000,
    "Премьер-министр посетил завод в Казани",
    "東京で新しい美術館が開館",
    "مرحبا بالعالم",
    "🔥🔥🔥😱",
    "\x00\x01\t\n",
    "!!!???",
    "İSTANBUL'DA BÜYÜK YANGIN",
]


@pytest.fixture(scope="module")
def sample() -> LabelledHeadlines:
    if not CORPUS.is_file():
        pytest.skip(f"headline corpus missing: {CORPUS}")
    _, small = split_corpus(read_corpus(CORPUS), holdout=SAMPLE_SIZE / 32_000)
    return small + read_labelled_tsv([DATA_DIR])


@pytest.fixture(scope="module")
def small_model(sample: LabelledHeadlines) -> HeadlineClassifier:
    return HeadlineClassifier().fit(sample.texts, sample.labels)


@pytest.fixture(scope="module")
def shipped() -> HeadlineClassifier:
    return load_headline_model()


# -- the estimator ----------------------------------------------------------------------------


def test_fit_returns_self_learns_and_is_deterministic(
    sample: LabelledHeadlines, small_model: HeadlineClassifier
) -> None:
    model = HeadlineClassifier()
    assert model.fit(sample.texts, sample.labels) is model
    assert list(model.classes_) == ["clickbait", "news"]
    accuracy = np.mean(model.predict(sample.texts) == np.array(sample.labels))
    assert accuracy > 0.9
    texts = ["You Won't Believe This Trick", "Senate passes budget bill", *BAD_INPUTS]
    assert np.array_equal(model.predict_proba(texts), small_model.predict_proba(texts))


def test_params_are_keyword_only_and_cloneable() -> None:
    from sklearn.base import clone

    with pytest.raises(TypeError):
        HeadlineClassifier(1.0)  # type: ignore[call-arg]
    model = HeadlineClassifier(C=3.0)
    assert clone(model).get_params()["C"] == 3.0


def test_integer_labels(sample: LabelledHeadlines) -> None:
    few = split_corpus(sample, holdout=0.2)[1]  # a small stratified subset keeps this fast
    y = [1 if label == CLICKBAIT else 0 for label in few.labels]
    model = HeadlineClassifier().fit(few.texts, y)
    assert list(model.classes_) == [0, 1]
    bait, news = model.score(["You Won't Believe These 21 Photos", "Senate passes budget bill"])
    assert bait > news


def test_bad_inputs_give_finite_scores(small_model: HeadlineClassifier) -> None:
    scores = small_model.score(BAD_INPUTS)
    assert scores.shape == (len(BAD_INPUTS),)
    assert np.all(np.isfinite(scores))
    assert np.all((scores >= 0.0) & (scores <= 1.0))
    proba = small_model.predict_proba(BAD_INPUTS)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert small_model.score([]).shape == (0,)


def test_long_headline_is_truncated(small_model: HeadlineClassifier) -> None:
    head = "Senate passes budget bill after long debate "
    long = head + "word " * 5_000
    assert small_model.score([long])[0] == pytest.approx(
        small_model.score([(head + "word " * 5_000)[:300]])[0]
    )


def test_rejects_lone_string(small_model: HeadlineClassifier) -> None:
    with pytest.raises(TypeError, match="got a single str"):
        small_model.score("You won't believe this")
    with pytest.raises(TypeError, match="got a single str"):
        HeadlineClassifier().fit("abc", ["news"])


def test_rejects_bad_items_and_labels(small_model: HeadlineClassifier) -> None:
    with pytest.raises(TypeError, match=r"X\[1\] must be str, got int"):
        small_model.predict_proba(["fine", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="decode bytes first"):
        small_model.score([b"bytes headline"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="iterable of headline strings, got int"):
        small_model.score(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="both labels 'clickbait' and 'news'"):
        HeadlineClassifier().fit(["a", "b"], ["news", "spam"])
    with pytest.raises(ValueError, match="2 headlines but y has 1 labels"):
        HeadlineClassifier().fit(["a", "b"], ["news"])
    with pytest.raises(ValueError, match="C must be a positive number"):
        HeadlineClassifier(C=0).fit(["a", "b"], ["news", "clickbait"])


def test_unfitted_model_says_so() -> None:
    with pytest.raises(RuntimeError, match="not fitted yet"):
        HeadlineClassifier().score(["a headline"])


# -- data files ---------------------------------------------------------------------------------


def test_authored_file() -> None:
    data = read_labelled_tsv([DATA_DIR / "authored.tsv"])
    assert data.labels.count(CLICKBAIT) >= 140
    assert data.labels.count("news") >= 140
    assert len(set(data.texts)) == len(data.texts)


def test_read_labelled_tsv_rejects_unknown_label(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("spam\tBuy now\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown label 'spam'"):
        read_labelled_tsv([bad])


def test_ood_refs_hold_no_text() -> None:
    refs = DATA_DIR / "ood_refs.tsv"
    rows = [ln.split("\t") for ln in refs.read_text().splitlines() if not ln.startswith("#")]
    assert len(rows) >= 300
    assert all(len(r) == 4 and len(r[3]) == 40 for r in rows)
    assert sum(r[0] == CLICKBAIT for r in rows) >= 100


def test_ood_loader_recovers_texts(tmp_path: Path) -> None:
    """A few references (pages early in the corpora) come back with matching SHA-1s."""
    refs = DATA_DIR / "ood_refs.tsv"
    rows = [ln for ln in refs.read_text().splitlines() if ln and not ln.startswith("#")]
    picked = [r for r in rows if "\twcxb_dev\t00" in r][:5] + [
        r for r in rows if "\tcleanportal\t" in r
    ][:5]
    small = tmp_path / "refs.tsv"
    small.write_text("\n".join(picked) + "\n", encoding="utf-8")
    if not (DEFAULT_CORPORA / "wcxb_dev.jsonl.gz").is_file():
        pytest.skip(f"page corpora missing: {DEFAULT_CORPORA}")
    data = load_ood_headlines(small)
    assert len(data) == len(picked)
    for row, text, label in zip(picked, data.texts, data.labels, strict=True):
        expected_label, _, _, sha1 = row.split("\t")
        assert hashlib.sha1(text.encode("utf-8")).hexdigest() == sha1
        assert label == expected_label


def test_ood_loader_missing_corpora(tmp_path: Path) -> None:
    from classify.headlines import CorporaMissingError

    with pytest.raises(CorporaMissingError, match="missing"):
        load_ood_headlines(corpora=tmp_path)


def test_ood_headlines_not_in_training_data() -> None:
    if not CORPUS.is_file():
        pytest.skip(f"headline corpus missing: {CORPUS}")
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        corpus = {json.loads(line)["text"] for line in fh}
    authored = set(read_labelled_tsv([DATA_DIR]).texts)
    refs = DATA_DIR / "ood_refs.tsv"
    ood_sha = {ln.split("\t")[3] for ln in refs.read_text().splitlines() if ln[:1] != "#"}
    for text in corpus | authored:
        assert hashlib.sha1(" ".join(text.split()).encode()).hexdigest() not in ood_sha


# -- the shipped model ------------------------------------------------------------------------


def test_shipped_model_sidecar_and_size() -> None:
    assert DEFAULT_MODEL_PATH.stat().st_size < 5_000_000
    meta = persist.read_sidecar(DEFAULT_MODEL_PATH)
    assert meta["kind"] == "headlines"
    assert meta["labels"] == ["clickbait", "news"]
    assert meta["held_out"]["corpus_holdout"]["accuracy"] >= 0.98


def test_shipped_model_on_seed_lines(shipped: HeadlineClassifier) -> None:
    title, crypto, *celebrity = shipped.score([SEED_TITLE, SEED_CRYPTO, *SEED_CELEBRITY])
    assert title < 0.5
    assert crypto > 0.5
    assert all(score > title for score in celebrity)


def test_shipped_model_bad_inputs(shipped: HeadlineClassifier) -> None:
    scores = shipped.score(BAD_INPUTS)
    assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 1))


def test_load_headline_model_checks_kind(tmp_path: Path) -> None:
    path = tmp_path / "m.joblib"
    persist.save_model(HeadlineClassifier(), path, kind="lines", metadata={})
    with pytest.raises(persist.ModelFileError, match="expected 'headlines'"):
        load_headline_model(path)


def test_batch_tokenizer_matches_tokenizing_one_headline_at_a_time() -> None:
    from classify.headlines import _TOKEN, _tokenize

    texts = ["You Won't Believe THIS", "", "İstanbul ÉTÉ ǅ ﬁne", "x", "10 things, 2,000 ways", "?!"]
    for batch in (texts, [*texts, "two\nlines"], [], [""]):
        tokens, docs = _tokenize(batch)
        want = [(i, tok) for i, t in enumerate(batch) for tok in _TOKEN.findall(t.lower())]
        assert list(zip(docs.tolist(), tokens, strict=True)) == want
