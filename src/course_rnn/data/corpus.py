r"""A text corpus that needs no download: sentences generated from a small grammar.

Why generated: the course ships no data and downloads none (COURSE.md), yet a language
model needs text with real structure to learn from. :func:`load_corpus` writes that text
from a seeded grammar, in Korean or English: a few hundred words and templates that
combine into varied sentences with agreement (Korean particles 은/는, 이/가, 을/를,
와/과, (으)로 chosen by the final consonant of the noun; English a/an and the verb's
third person -s), recurring phrases, quotations, questions and punctuation, grouped
into paragraphs. The same arguments always give the same text (a checksum test
guards it), so every chapter that trains on it gets the same numbers.

Helpers for a character-level language model: :func:`build_vocab`, :func:`encode`,
:func:`decode`, :func:`train_val_split`, and :func:`unigram_perplexity`, the baseline a
model must beat:

.. math::

    \hat p(v) = \frac{c_\text{train}(v) + \alpha}{N_\text{train} + \alpha V}, \qquad
    \mathrm{PPL}_\text{unigram} = \exp\Bigl(-\frac{1}{N_\text{val}}
    \sum_{t} \log \hat p(w_t)\Bigr)

Taught in chapter 4 (and used again by chapters 5 and 6 to compare language models).
"""

from __future__ import annotations

import numpy as np

LANGS = ("ko", "en")
DEFAULT_SIZE = 100_000

# ---------------------------------------------------------------- Korean grammar
# Nouns; the particle after each is chosen by its last syllable (see _has_batchim).
_KO_PEOPLE = ["나", "동생", "언니", "형", "친구", "선생님", "할머니", "할아버지", "아이",
              "엄마", "아빠", "이웃", "민수", "지영", "서준", "하은", "우리 반 학생", "요리사",
              "의사", "농부"]
_KO_FOODS = ["사과", "귤", "빵", "김밥", "떡", "수박", "감자", "국수", "딸기", "복숭아",
             "옥수수", "된장국", "비빔밥", "달걀", "우유", "포도", "호박", "생선"]
_KO_THINGS = ["책", "편지", "공책", "사진", "우산", "가방", "신발", "모자", "연필", "시계",
              "그림", "자전거", "노래", "일기", "지도", "꽃"]
_KO_PLACES = ["학교", "시장", "공원", "도서관", "집", "부엌", "바닷가", "마당", "역",
              "가게", "산", "강가", "교실", "정원"]
_KO_TIMES = ["아침에", "오늘", "어제", "저녁에", "점심때", "주말에", "밤늦게", "봄에",
             "비 오는 날에", "새벽에", "방학 동안", "가끔", "매일"]
_KO_ADVERBS = ["천천히", "조용히", "맛있게", "열심히", "얼른", "다 같이", "혼자", "기쁘게",
               "조심스럽게", "오랫동안"]
# Verbs as (past plain, present plain, past polite), so no conjugation rule is needed.
_KO_FOOD_VERBS = [("먹었다", "먹는다", "먹었어요"), ("샀다", "산다", "샀어요"),
                  ("씻었다", "씻는다", "씻었어요"), ("깎았다", "깎는다", "깎았어요"),
                  ("나누었다", "나눈다", "나눴어요"), ("골랐다", "고른다", "골랐어요"),
                  ("만들었다", "만든다", "만들었어요")]
_KO_THING_VERBS = [("읽었다", "읽는다", "읽었어요"), ("찾았다", "찾는다", "찾았어요"),
                   ("샀다", "산다", "샀어요"), ("잃어버렸다", "잃어버린다", "잃어버렸어요"),
                   ("빌렸다", "빌린다", "빌렸어요"), ("보았다", "본다", "봤어요"),
                   ("고쳤다", "고친다", "고쳤어요"), ("선물했다", "선물한다", "선물했어요")]
_KO_MOVE = [("갔다", "간다", "갔어요"), ("왔다", "온다", "왔어요"),
            ("걸어갔다", "걸어간다", "걸어갔어요"), ("달려갔다", "달려간다", "달려갔어요")]
_KO_STAY = [("놀았다", "논다", "놀았어요"), ("공부했다", "공부한다", "공부했어요"),
            ("쉬었다", "쉰다", "쉬었어요"), ("기다렸다", "기다린다", "기다렸어요"),
            ("일했다", "일한다", "일했어요"), ("노래했다", "노래한다", "노래했어요")]
_KO_ADJ = ["달았다", "컸다", "작았다", "시원했다", "따뜻했다", "예뻤다", "조용했다",
           "붐볐다", "새로웠다", "신기했다"]
_KO_FEEL = ["기뻤다", "행복했다", "배가 불렀다", "조금 피곤했다", "마음이 놓였다",
            "웃음이 났다", "아쉬웠다"]
_KO_SAYINGS = ["천천히 먹어라", "같이 가자", "고마워", "내일 또 만나자", "조심해서 다녀와",
               "정말 맛있다", "오늘은 날씨가 좋구나", "책을 많이 읽어라"]


def _has_batchim(word: str) -> bool:
    """True if the last Hangul syllable of ``word`` ends in a consonant. Chapter 4."""
    c = ord(word[-1]) - 0xAC00
    return 0 <= c < 11172 and c % 28 != 0


def _ko_particle(word: str, with_final: str, without_final: str) -> str:
    """Attach the particle that agrees with ``word`` (은/는, 이/가, 을/를, 과/와). Chapter 4."""
    return word + (with_final if _has_batchim(word) else without_final)


def _ko_ro(word: str) -> str:
    """Noun + 으로/로 (로 after a vowel or after ㄹ). Chapter 4."""
    c = ord(word[-1]) - 0xAC00
    final = c % 28 if 0 <= c < 11172 else 0
    return word + ("으로" if final not in (0, 8) else "로")


class _Grammar:
    """Sentence templates of one language, drawing words with one Generator. Chapter 4."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def pick(self, items):
        return items[int(self.rng.integers(len(items)))]

    def maybe(self, p: float) -> bool:
        return bool(self.rng.random() < p)


class _Korean(_Grammar):
    def subject(self, topic: bool = True) -> str:
        who = self.pick(_KO_PEOPLE)
        return _ko_particle(who, "은", "는") if topic else _ko_particle(who, "이", "가")

    def tense(self, verb, past: bool = False) -> str:
        r = self.rng.random()
        if r < 0.15:
            return verb[2] + "."
        return (verb[1] if r < 0.35 and not past else verb[0]) + "."

    def sentence(self) -> str:
        k = int(self.rng.integers(9))
        time = self.pick(_KO_TIMES) + " " if self.maybe(0.5) else ""
        adv = self.pick(_KO_ADVERBS) + " " if self.maybe(0.35) else ""
        past = time == "어제 "  # yesterday: past tense only
        if k <= 1:  # 나는 사과를 먹었다.
            food = self.pick(_KO_FOODS)
            return (f"{time}{self.subject()} {_ko_particle(food, '을', '를')} {adv}"
                    f"{self.tense(self.pick(_KO_FOOD_VERBS), past)}")
        if k == 2:
            thing = self.pick(_KO_THINGS)
            return (f"{time}{self.subject()} {_ko_particle(thing, '을', '를')} {adv}"
                    f"{self.tense(self.pick(_KO_THING_VERBS), past)}")
        if k == 3:  # 동생은 학교에 갔다.
            place = self.pick(_KO_PLACES)
            return f"{time}{self.subject()} {place}에 {self.tense(self.pick(_KO_MOVE), past)}"
        if k == 4:  # 친구와 공원에서 놀았다.
            place = self.pick(_KO_PLACES)
            friend = self.pick(_KO_PEOPLE[1:])
            return (f"{time}{self.subject()} {_ko_particle(friend, '과', '와')} 함께 "
                    f"{place}에서 {adv}{self.tense(self.pick(_KO_STAY), past)}")
        if k == 5:  # 수박이 정말 달았다.
            noun = self.pick(_KO_FOODS + _KO_PLACES + _KO_THINGS)
            very = self.pick(["정말 ", "아주 ", "무척 ", ""])
            return f"{_ko_particle(noun, '이', '가')} {very}{self.pick(_KO_ADJ)}."
        if k == 6:  # 할머니가 "고마워"라고 말했다.
            return f"{self.subject(False)} \"{self.pick(_KO_SAYINGS)}\"라고 말했다."
        if k == 7:  # 누가 사과를 샀어요?
            food = self.pick(_KO_FOODS)
            verb = self.pick(_KO_FOOD_VERBS)
            if self.maybe(0.5):
                return f"누가 {_ko_particle(food, '을', '를')} {verb[2]}?"
            return f"{self.subject()} 무엇을 {verb[2]}?"
        food, thing = self.pick(_KO_FOODS), self.pick(_KO_THINGS)  # compound sentence
        stem = self.pick(_KO_FOOD_VERBS)[0][:-1]  # 먹었다 -> 먹었
        first = f"{self.subject()} {_ko_particle(food, '을', '를')} {stem}고"
        return (f"{first}, {_ko_ro(self.pick(_KO_PLACES))} 가서 "
                f"{_ko_particle(thing, '을', '를')} {self.pick(_KO_THING_VERBS)[0]}. "
                f"그래서 {self.pick(_KO_FEEL)}.")


# ---------------------------------------------------------------- English grammar
# People as (name, is_plural); the verb agrees (eats / eat) and so does was / were.
_EN_PEOPLE = [("I", None), ("my sister", False), ("my brother", False), ("the teacher", False),
              ("our neighbour", False), ("the old farmer", False), ("Mina", False),
              ("Tom", False), ("the children", True), ("my friends", True), ("we", True),
              ("the cook", False), ("grandmother", False), ("the students", True),
              ("they", True), ("the doctor", False)]
_EN_FOODS = ["apple", "orange", "egg", "pear", "sandwich", "cake", "banana", "onion",
             "apricot", "peach", "melon", "lemon", "olive", "plum", "omelette", "tomato"]
_EN_THINGS = ["book", "letter", "umbrella", "hat", "old map", "bicycle", "envelope",
              "pencil", "clock", "picture", "kite", "notebook", "ink bottle", "song"]
_EN_PLACES = ["school", "the market", "the park", "the library", "home", "the kitchen",
              "the beach", "the garden", "the station", "the shop", "the river",
              "the hill", "the classroom"]
_EN_TIMES = ["In the morning", "Today", "Yesterday", "In the evening", "At noon",
             "On Sunday", "Late at night", "In spring", "On a rainy day", "Every day",
             "Sometimes", "After school"]
_EN_ADVERBS = ["slowly", "quietly", "happily", "carefully", "quickly", "together",
               "alone", "at last"]
# Verbs as (base, third person singular, past).
_EN_FOOD_VERBS = [("eat", "eats", "ate"), ("buy", "buys", "bought"), ("wash", "washes", "washed"),
                  ("peel", "peels", "peeled"), ("share", "shares", "shared"),
                  ("pick", "picks", "picked"), ("cut", "cuts", "cut")]
_EN_THING_VERBS = [("read", "reads", "read"), ("find", "finds", "found"),
                   ("buy", "buys", "bought"), ("lose", "loses", "lost"),
                   ("borrow", "borrows", "borrowed"), ("carry", "carries", "carried"),
                   ("fix", "fixes", "fixed"), ("draw", "draws", "drew")]
_EN_MOVE = [("go", "goes", "went"), ("walk", "walks", "walked"), ("run", "runs", "ran"),
            ("come back", "comes back", "came back")]
_EN_STAY = [("play", "plays", "played"), ("study", "studies", "studied"),
            ("rest", "rests", "rested"), ("wait", "waits", "waited"),
            ("work", "works", "worked"), ("sing", "sings", "sang")]
_EN_ADJ = ["sweet", "big", "small", "cool", "warm", "pretty", "quiet", "crowded", "new",
           "strange"]
_EN_FEEL = ["happy", "glad", "full", "a little tired", "relieved", "proud", "sorry"]
_EN_SAYINGS = ["Eat slowly", "Let us go together", "Thank you", "See you tomorrow",
               "Take care", "This is delicious", "What a nice day", "Read many books"]


def _en_article(noun: str) -> str:
    """``a`` or ``an`` in front of ``noun``, by its first letter. Chapter 4."""
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def _en_plural(noun: str) -> str:
    """Regular English plural (tomato -> tomatoes, peach -> peaches). Chapter 4."""
    if noun.endswith(("ch", "sh", "o")) and noun != "avocado":
        return noun + "es"
    return noun + "s"


class _English(_Grammar):
    def subject(self):
        name, plural = self.pick(_EN_PEOPLE)
        return name, plural

    def verb(self, verb, plural, past: bool = False) -> str:
        r = self.rng.random()
        if r < 0.6 or past:
            return verb[2]
        return verb[0] if plural is None or plural else verb[1]

    @staticmethod
    def _to(place: str) -> str:
        return "home" if place == "home" else "to " + place

    def food(self) -> str:
        noun = self.pick(_EN_FOODS)
        r = self.rng.random()
        if r < 0.45:
            return _en_article(noun)
        if r < 0.75:
            return self.pick(["two ", "three ", "some ", "many "]) + _en_plural(noun)
        return "the " + noun

    def sentence(self) -> str:
        k = int(self.rng.integers(9))
        who, plural = self.subject()
        time = self.pick(_EN_TIMES) + " " if self.maybe(0.5) else ""
        adv = " " + self.pick(_EN_ADVERBS) if self.maybe(0.35) else ""
        past = time == "Yesterday "  # past tense only
        subj = who if time or who == "I" else who[0].upper() + who[1:]
        if time:
            subj = subj if who == "I" else who
            time = time[:-1] + ", "
        if k <= 1:
            verb = self.verb(self.pick(_EN_FOOD_VERBS), plural, past)
            return f"{time}{subj} {verb} {self.food()}{adv}."
        if k == 2:
            thing = self.pick(_EN_THINGS)
            obj = _en_article(thing) if self.maybe(0.5) else "the " + thing
            return f"{time}{subj} {self.verb(self.pick(_EN_THING_VERBS), plural, past)} {obj}{adv}."
        if k == 3:
            place = self.pick(_EN_PLACES)
            dest = self._to(place)
            return f"{time}{subj} {self.verb(self.pick(_EN_MOVE), plural, past)} {dest}{adv}."
        if k == 4:
            friend = self.pick([p for p, _ in _EN_PEOPLE if p not in ("I", "we", "they")])
            return (f"{time}{subj} {self.verb(self.pick(_EN_STAY), plural, past)} with {friend} "
                    f"at {self.pick(_EN_PLACES).replace('home', 'the house')}{adv}.")
        if k == 5:
            noun = self.pick(_EN_FOODS + _EN_THINGS)
            very = self.pick(["very ", "really ", "quite ", ""])
            if self.maybe(0.5):
                return f"The {_en_plural(noun)} were {very}{self.pick(_EN_ADJ)}."
            return f"The {noun} was {very}{self.pick(_EN_ADJ)}."
        if k == 6:
            return f"{who[0].upper() + who[1:]} said, \"{self.pick(_EN_SAYINGS)}.\""
        if k == 7:
            verb = self.pick(_EN_FOOD_VERBS)
            if self.maybe(0.5):
                return f"Who {verb[2]} {self.food()}?"
            does = "Did"
            return f"{does} {who} {verb[0]} {self.food()}?"
        if who == "I":
            be = "was"
        else:
            be = "were" if plural else "was"
        return (f"{who[0].upper() + who[1:]} {self.pick(_EN_FOOD_VERBS)[2]} {self.food()}, "
                f"{self.pick(_EN_MOVE)[2]} {self._to(self.pick(_EN_PLACES))} and "
                f"{self.pick(_EN_THING_VERBS)[2]} {_en_article(self.pick(_EN_THINGS))}, "
                f"so {who if who == 'I' else ('they' if plural else 'everyone')} "
                f"{be if who == 'I' or plural else 'was'} {self.pick(_EN_FEEL)}.")


def load_corpus(lang: str = "ko", size: int = DEFAULT_SIZE, seed: int = 0) -> str:
    r"""Generate about ``size`` characters of text in ``lang`` from the course's grammar.

    Sentences are drawn one by one from the grammar's templates (each choice by a
    ``numpy.random.Generator`` seeded with ``seed``), 3 to 6 to a paragraph, paragraphs
    separated by a newline, until the text holds at least ``size`` characters; it is then
    cut after the last complete sentence at or before ``size`` characters.

    Parameters
    ----------
    lang : {"ko", "en"}
    size : int
        Number of characters wanted (the result is at most this long, and within one
        sentence of it).
    seed : int
        The same (lang, size, seed) gives the same text on every machine.

    Returns
    -------
    str

    Torch has no equivalent (torchtext's datasets are downloaded). Taught in chapter 4.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    if int(size) != size or size < 100:
        raise ValueError(f"size must be an integer of at least 100, got {size!r}")
    rng = np.random.default_rng(seed)
    grammar = _Korean(rng) if lang == "ko" else _English(rng)
    paragraphs, total = [], 0
    while total <= size:
        sentences = [grammar.sentence() for _ in range(int(rng.integers(3, 7)))]
        para = " ".join(sentences) + "\n"
        paragraphs.append(para)
        total += len(para)
    text = "".join(paragraphs)[:size]
    cut = max(text.rfind(". "), text.rfind(".\n"), text.rfind("? "), text.rfind("?\n"))
    return text[: cut + 1] + "\n" if cut > 0 else text


def build_vocab(text: str) -> tuple[dict[str, int], list[str]]:
    r"""Character vocabulary of ``text``: ids 0..V-1 in sorted order of the characters.

    Returns ``(char_to_id, id_to_char)`` with ``id_to_char[char_to_id[c]] == c``.
    Torch: ``torchtext.vocab.build_vocab_from_iterator`` (word-level). Taught in chapter 4.
    """
    id_to_char = sorted(set(text))
    return {c: i for i, c in enumerate(id_to_char)}, id_to_char


def encode(text: str, char_to_id: dict[str, int]) -> np.ndarray:
    r"""Ids of the characters of ``text``, shape (len(text),), dtype int64.

    Raises KeyError naming the first character missing from the vocabulary.
    Torch: ``torch.tensor([vocab[c] for c in text])``. Taught in chapter 4.
    """
    try:
        return np.array([char_to_id[c] for c in text], dtype=np.int64)
    except KeyError as err:
        raise KeyError(f"character {err.args[0]!r} is not in the vocabulary") from None


def decode(ids, id_to_char: list[str]) -> str:
    r"""The text of the ids ``ids`` (any integer sequence, shape (n,)). Inverse of
    :func:`encode`. Torch: ``"".join(vocab.lookup_tokens(ids))``. Taught in chapter 4.
    """
    return "".join(id_to_char[int(i)] for i in ids)


def train_val_split(ids, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    r"""Split one id sequence into its first part (training) and its last part (validation).

    The cut is at :math:`n - \lceil f n \rceil`: contiguous, never shuffled, because a
    language model reads text in order (a shuffle would leak the validation sentences'
    neighbours into training). Shapes (n,) -> (n_train,), (n_val,).
    Torch: ``ids[:cut], ids[cut:]``. Taught in chapter 4.
    """
    ids = np.asarray(ids)
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    n_val = int(np.ceil(val_fraction * len(ids)))
    if n_val < 2 or len(ids) - n_val < 2:
        raise ValueError(f"{len(ids)} ids are too few to split with val_fraction={val_fraction}")
    return ids[: len(ids) - n_val], ids[len(ids) - n_val:]


def unigram_probs(train_ids, V: int, alpha: float = 1.0) -> np.ndarray:
    r"""Add-alpha unigram distribution of the training ids, shape (V,).

    .. math::

        \hat p(v) = \frac{c(v) + \alpha}{N + \alpha V}

    Torch: ``(torch.bincount(ids, minlength=V) + alpha) / (N + alpha * V)``.
    Taught in chapter 4.
    """
    counts = np.bincount(np.asarray(train_ids), minlength=V).astype(np.float64)  # (V,)
    return (counts + alpha) / (counts.sum() + alpha * V)


def unigram_perplexity(train_ids, val_ids, V: int | None = None, alpha: float = 1.0) -> float:
    r"""Perplexity on ``val_ids`` of the unigram model fitted on ``train_ids``: the baseline.

    .. math::

        \mathrm{PPL} = \exp\Bigl(-\frac{1}{N_\text{val}} \sum_t \log \hat p(w_t)\Bigr)

    A model that ignores the context entirely predicts every character by its frequency;
    a language model that uses the context must do clearly better. ``V`` defaults to
    ``max(ids) + 1``; ``alpha`` smooths unseen characters. Shapes (n_train,), (n_val,).
    Torch: ``torch.exp(F.nll_loss(log_p.expand(n, V), val_ids))``. Taught in chapter 4.
    """
    train_ids, val_ids = np.asarray(train_ids), np.asarray(val_ids)
    if V is None:
        V = int(max(train_ids.max(), val_ids.max())) + 1
    p = unigram_probs(train_ids, V, alpha)
    return float(np.exp(-np.mean(np.log(p[val_ids]))))
