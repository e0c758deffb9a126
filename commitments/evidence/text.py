"""The readable text of an archived page, and whether the analyst's excerpt is in it."""

import io
import logging
import re
import unicodedata

import trafilatura

logger = logging.getLogger(__name__)

HTML_TYPES = {"text/html", "application/xhtml+xml"}
QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
    }
)
WHITESPACE = re.compile(r"\s+")
# An analyst marks words left out of a quotation with an ellipsis.
ELLIPSIS = re.compile(r"\s*(?:\.\.\.|\u2026|\[\.\.\.\]|\[\u2026\])\s*")


def charset_of(content_type: str) -> str:
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else "utf-8"


def page_texts(body: bytes, media_type: str, content_type: str = "") -> tuple[str, str]:
    """Return the page's main text and its whole text (for the excerpt check)."""
    if media_type in HTML_TYPES:
        main = trafilatura.extract(body, include_comments=False, favor_recall=True) or ""
        whole = trafilatura.html2txt(body) or ""
        return main or whole, whole
    if media_type == "text/plain":
        try:
            text = body.decode(charset_of(content_type), errors="replace")
        except LookupError:
            text = body.decode("utf-8", errors="replace")
        return text, text
    if media_type == "application/pdf":
        text = pdf_text(body)
        return text, text
    return "", ""


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(body))
        return "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except Exception:  # A broken PDF is archived without text.
        logger.warning("Could not read the text of an archived PDF", exc_info=True)
        return ""


def normalise(text: str) -> str:
    """Return `text` with quotes, dashes, whitespace and case made uniform."""
    text = unicodedata.normalize("NFKC", text).translate(QUOTES)
    return WHITESPACE.sub(" ", text).strip().casefold()


def excerpt_found(excerpt: str, *texts: str) -> bool | None:
    """Return whether the excerpt is in one of the texts; None when it cannot be checked.

    An ellipsis in the excerpt stands for words left out: its parts must then
    appear in order.
    """
    parts = [normalise(part) for part in ELLIPSIS.split(excerpt)]
    parts = [part for part in parts if part]
    if not parts or not any(text.strip() for text in texts):
        return None
    for text in texts:
        haystack, position = normalise(text), 0
        for part in parts:
            position = haystack.find(part, position)
            if position == -1:
                break
            position += len(part)
        else:
            return True
    return False
