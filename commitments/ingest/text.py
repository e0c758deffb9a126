"""Paragraphs and sentences of a text, as offsets into it."""

import re
from dataclasses import dataclass

import nupunkt

PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n(?=\s*(?:\d{1,2}[.)]|\(\d{1,2}\)|[•·▪-])\s)")
# The numbering of a list item: "1.", "2)", "(3)", "•", "-".
LIST_MARKER = re.compile(r"(?:\d{1,2}[.)]|\(\d{1,2}\)|[•·▪-])\s+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]


def strip_span(text: str, start: int, end: int) -> Span:
    """Return [start, end) without surrounding whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def paragraphs(text: str) -> list[Span]:
    """Return the paragraphs: blocks between blank lines, and list items on lines of their own."""
    spans, start = [], 0
    for match in PARAGRAPH_BREAK.finditer(text):
        spans.append(strip_span(text, start, match.start()))
        start = match.end()
    spans.append(strip_span(text, start, len(text)))
    result = []
    for span in spans:
        # A single line break inside a block also ends a paragraph when the
        # line before has no final punctuation (headings, titles, datelines).
        line_start = span.start
        for line in re.finditer(r"\n", span.of(text)):
            cut = span.start + line.start()
            if not re.search(r"[.;:!?”\"]\s*$", text[line_start:cut]):
                result.append(strip_span(text, line_start, cut))
                line_start = cut + 1
        result.append(strip_span(text, line_start, span.end))
    return [span for span in result if span.end > span.start]


def sentences(text: str, paragraph: Span) -> list[Span]:
    """Return the sentences of a paragraph, with offsets into the whole text."""
    body = paragraph.of(text)
    spans = []
    for start, end in nupunkt.sent_spans(body):
        span = strip_span(text, paragraph.start + start, paragraph.start + end)
        if span.end > span.start:
            spans.append(span)
    return spans or [paragraph]
