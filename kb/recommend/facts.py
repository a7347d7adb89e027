"""Facts a human needs before taking over, read from the customer's messages. Pure functions.

A handoff ticket carries them so that the customer never says them twice: order and
tracking numbers, photos sent, the product, the problem in the customer's words, a phone
number, an amount, an address, a date (the vocabulary is `kb.model.FACTS`). Values are
what an agent reads: phones and addresses are masked here, before anything is stored.
Text is folded first (`kb.text.fold`: full-width digits, traditional characters).
Measured on tests/data/facts.tsv with `kb eval-facts`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import yaml

from kb.model import FACTS
from kb.text import fold, normalise

PRODUCTS_FILE = Path(__file__).with_name("products.yaml")
PROBLEM_MAX = 80  # characters of the customer's own words a ticket shows

# [图片] and its masked or English forms ([图片3], 【图片】, [image]): what the chat client
# leaves where a photo or a video was sent.
_PHOTO = re.compile(r"[\[【<](?:图片|照片|图像|视频|截图|image|img|photo|picture|video)"
                    r"[a-z0-9]{0,2}[\]】>]")  # fmt: skip
_PHONE = re.compile(r"(?<![\d*])(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
# Courier codes: 顺丰 SF, 京东 JD(VA/X...), 圆通 YT, 极兔 JT, 中通 ZTO, 申通 STO, 韵达 YD,
# 德邦 DPK, EMS; and the EMS/UPU international form (EA123456789CN).
_TRACKING_CODE = re.compile(
    r"(?<![a-z0-9])(?:(?:sf|jd[a-z]{0,3}|yt|jt|zto|sto|yd|dpk|ems)\d{9,16}"
    r"|[a-z]{2}\d{9}cn)(?![a-z0-9])"
)
_COURIER = r"顺丰|中通|圆通|申通|韵达|极兔|邮政|ems|德邦|京东物流|京东快递|百世|天天"
_TRACKING_LABEL = re.compile(
    rf"(?:运单|快递单|物流单|面单|(?:{_COURIER})(?:快递|速运|物流)?(?:单)?)(?:号码?)?"
    r"\s*[:,]?\s*(?:是|为)?\s*(\d{10,20})(?!\d)"
)
_ORDER_LABEL = re.compile(
    r"(?:订单编号|订单号码|订单号|订单|单号)\s*[:,]?\s*(?:是|为)?\s*(\d{6,24})(?!\d)"
)
_LONG_DIGITS = re.compile(r"(?<![a-z0-9*])\d{12,24}(?![0-9])")
_MONEY = r"(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"  # 2,899.00 or 2899
_AMOUNT = re.compile(
    rf"¥\s*{_MONEY}"
    rf"|(?<![\d.,]){_MONEY}\s*(?:元|块钱|块|rmb)"
    rf"|(?:金额|实付款?|付款|退款|付了|退了|花了|扣了|多扣了?|少退了?|差价)\s*:?\s*{_MONEY}(?![\d.])"
)
_DATE = re.compile(
    r"(?<!\d)(20\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)[日号]?"
    r"|(?<![\d年./-])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"
)
_PROVINCES = ("河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|"
              "海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆")  # fmt: skip
# An address: a province (or none), a city, a district, then a street or building word. The
# city is at most 4 characters, after the words that introduce an address (寄到, 地址是).
_ADDRESS = re.compile(
    rf"(?:地址|寄到|送到|发到|改到|改成|住在|是|到|在|:|^|(?<=[^\u4e00-\u9fff]))"
    rf"((?:(?:{_PROVINCES})(?:省|自治区|壮族自治区|回族自治区|维吾尔自治区)?)?[\u4e00-\u9fff]{{2,4}}市"
    r"(?:[\u4e00-\u9fff]{1,5}(?:区|县|市))?)"
    r"[\u4e00-\u9fff0-9a-z-]{0,24}?(?:路|街|道|巷|弄|大道|村|小区|花园|公寓|大厦|栋|幢|单元|室)"
    r"[\u4e00-\u9fff0-9a-z-]*"
)
# What an answer to "请提供订单号" says besides the fact itself: none of it is a problem.
_ANSWER_WORDS = re.compile(
    r"订单编号|订单号码|订单号|订单|运单号|快递单号|物流单号|单号|手机号码|手机号|电话号码|电话|联系方式|"
    r"照片|图片|视频|截图|收货地址|地址|金额|这是|这个|那个|好的|好滴|收到|没问题|给你|发你|发给你|发了|"
    r"已发|上传|拍了|看一下|看看|一下|就是|是的|对的|没错|谢谢|麻烦|买的|我的|号码|号|是|了|的|吧|啊|呢|哦|"
    rf"收件人|联系人|运单|{_COURIER}|"
    r"嗯|哈|我|你|您|在|请|帮|下|这|那|个|发|给|看|对|单"
)
PROBLEM_MIN = 2  # Chinese characters left once answer and product words are gone: 不亮
_NOT_GOODS = re.compile(r"手机号码?|手机卡|电话号码?")  # they hold a product word, name none
# Labels of the numbers normalise() already took out: the problem reads without them.
_NUMBER_LABELS = re.compile(r"订单编号|订单号码|订单号|运单号|快递单号|物流单号|单号|手机号码|"
                            r"手机号|电话号码|联系电话|联系方式")  # fmt: skip


@lru_cache(maxsize=1)
def shipped_products() -> frozenset[str]:
    """The shipped product vocabulary (products.yaml), folded."""
    data = yaml.safe_load(PRODUCTS_FILE.read_text(encoding="utf-8"))
    return frozenset(fold(str(w)) for words in data.values() for w in words)


def product_words(kb_words: Iterable[str] = ()) -> frozenset[str]:
    """The shipped vocabulary plus the knowledge base's own words that name one of its products.

    A keyword such as 即食鸡胸肉 ends with a product word and is a product itself; a
    keyword such as 化妆品过敏 holds one in front of a need and is not.

    >>> sorted(product_words(["即食鸡胸肉", "化妆品过敏"]) - shipped_products())
    ['即食鸡胸肉']
    """
    shipped = shipped_products()
    found = set()
    for word in map(fold, kb_words):
        if len(word) <= 8 and any(word.endswith(p) and word != p for p in shipped):
            found.add(word)
    return shipped | found


def mask_phones(text: str) -> str:
    """Every mobile number as 138****5678: what a ticket may store and show.

    >>> mask_phones("电话 138-1234-5678 或 13912345678，订单 2026051213912345678")
    '电话 138****5678 或 139****5678，订单 2026051213912345678'
    """
    return _PHONE.sub(lambda m: f"{m[1]}****{m[3]}", text)


def message_facts(message: str, products: frozenset[str] | None = None) -> dict[str, list[str]]:
    """Every fact one message gives, each field with the values in the order they appear.

    >>> f = message_facts("訂單號：３３０１９２８４７５５２１ 鍋蓋裂了[图片][图片] "
    ...                   "顺丰SF1402938475566 电话13812345678 付了¥199.00 3月5号到的")
    >>> for k, v in f.items(): print(k, v)
    order_id ['3301928475521']
    tracking_no ['SF1402938475566']
    photos ['2']
    product ['锅']
    problem ['锅盖裂了 顺丰 电话 付了 3月5号到的']
    phone ['138****5678']
    amount ['199']
    date ['03-05']
    >>> message_facts("好的 订单号是 4028817736512")
    {'order_id': ['4028817736512']}
    """
    products = shipped_products() if products is None else products
    text = fold(message)
    found: dict[str, list[str]] = {}

    def add(fact: str, value: str) -> None:
        if value and value not in found.setdefault(fact, []):
            found[fact].append(value)

    photos = len(_PHOTO.findall(text))
    text = _PHOTO.sub(" ", text)
    rest = text
    for m in _TRACKING_CODE.finditer(text):
        add("tracking_no", m[0].upper())
        rest = rest.replace(m[0], " ")
    for m in _TRACKING_LABEL.finditer(rest):
        add("tracking_no", m[1])
    rest = _TRACKING_LABEL.sub(" ", rest)
    for m in _ORDER_LABEL.finditer(rest):
        add("order_id", m[1])
    rest = _ORDER_LABEL.sub(" ", rest)
    for m in _PHONE.finditer(rest):
        add("phone", f"{m[1]}****{m[3]}")
    rest = _PHONE.sub(" ", rest)
    dates = list(_DATE.finditer(rest))
    rest = _DATE.sub(" ", rest)
    for m in _LONG_DIGITS.finditer(rest):
        add("order_id", m[0])
    rest = _LONG_DIGITS.sub(" ", rest)
    if photos:
        add("photos", str(photos))
    for word in _products_in(_NOT_GOODS.sub(" ", text), products):
        add("product", word)
    if problem := problem_words(message, products):
        add("problem", problem)
    for m in _AMOUNT.finditer(rest):
        add("amount", _amount(next(g for g in m.groups() if g)))
    for m in _ADDRESS.finditer(rest):
        add("address", m[1] + "***")
    for m in dates:
        if m[1]:
            add("date", f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}")
        else:
            add("date", f"{int(m[4]):02d}-{int(m[5]):02d}")
    return {fact: found[fact] for fact in FACTS if fact in found}


def session_facts(messages: Iterable[str], products: frozenset[str] | None = None
                  ) -> dict[str, str]:  # fmt: skip
    """The facts of a whole session, oldest message first: the latest value of each fact
    wins (a customer corrects a number), photos add up, and the problem is the latest
    message that describes one.

    >>> facts = session_facts(["面霜用了脸过敏了 红肿", "订单号 5502391847726 [图片]", "[图片]"])
    >>> facts["order_id"], facts["photos"], facts["product"], facts["problem"]
    ('5502391847726', '2', '面霜', '面霜用了脸过敏了 红肿')
    """
    merged: dict[str, str] = {}
    photos = 0
    for message in messages:
        for fact, values in message_facts(message, products).items():
            if fact == "photos":
                photos += sum(map(int, values))
            else:
                merged[fact] = values[-1]
    if photos:
        merged["photos"] = str(photos)
    return {fact: merged[fact] for fact in FACTS if fact in merged}


def problem_words(message: str, products: frozenset[str] | None = None) -> str:
    """The message in the customer's words when it describes a problem, else "": an answer
    that only gives a number or a photo describes none. Normalised, so numbers (phones
    among them) are gone.

    >>> problem_words("好的 订单号是 4028817736512 [图片]"), problem_words("鞋子开胶了")
    ('', '鞋子开胶了')
    """
    products = shipped_products() if products is None else products
    words = normalise(message)
    left = _ANSWER_WORDS.sub("", normalise(_ADDRESS.sub(" ", fold(message))))
    for word in products:
        left = left.replace(word, "")
    if len(re.findall(r"[\u4e00-\u9fff]", left)) < PROBLEM_MIN:
        return ""
    return " ".join(_NUMBER_LABELS.sub(" ", words).split())[:PROBLEM_MAX]


def _products_in(text: str, products: frozenset[str]) -> list[str]:
    """Product words in folded text, longest first where they overlap (精华液 over 精华)."""
    taken = [False] * len(text)
    hits = []
    for word in sorted(products, key=len, reverse=True):
        start = text.find(word)
        while start != -1:
            span = range(start, start + len(word))
            if not any(taken[i] for i in span):
                for i in span:
                    taken[i] = True
                hits.append((start, word))
            start = text.find(word, start + 1)
    return [w for _, w in sorted(hits)]


def _amount(raw: str) -> str:
    """An amount as digits without trailing zeros: 1,299.00 -> 1299, 59.90 -> 59.9.

    >>> _amount("1,299.00"), _amount("59.90"), _amount("0.5")
    ('1299', '59.9', '0.5')
    """
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return raw
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
