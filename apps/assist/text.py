"""Text of an attachment, page by page: the PDF text layer through pypdf; image-only PDF pages
and images through OCR (Tesseract via pytesseract; PDF pages rendered with pypdfium2, a
pip-installable wheel that bundles PDFium, so no system poppler is needed). Never logs text."""

from __future__ import annotations

import io
from dataclasses import dataclass

TEXT_LAYER = "text-layer"
OCR = "ocr"
PLAIN = "plain"
MIN_LAYER_CHARS = 20  # a page with fewer characters in its text layer is treated as scanned
OCR_SCALE = 300 / 72  # render PDF pages at 300 dpi for Tesseract


@dataclass(frozen=True)
class ExtractedPage:
    page: int
    text: str
    method: str


def _ocr_image(image: object) -> str:
    import pytesseract

    return str(pytesseract.image_to_string(image, lang="eng"))


def _pdf_pages(content: bytes) -> list[ExtractedPage]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    pages: list[ExtractedPage] = []
    pdfium_doc = None
    for number, page in enumerate(reader.pages, start=1):
        layer = (page.extract_text() or "").strip()
        if len(layer) >= MIN_LAYER_CHARS:
            pages.append(ExtractedPage(number, layer, TEXT_LAYER))
            continue
        if pdfium_doc is None:
            import pypdfium2

            pdfium_doc = pypdfium2.PdfDocument(content)
        image = pdfium_doc[number - 1].render(scale=OCR_SCALE).to_pil()
        pages.append(ExtractedPage(number, _ocr_image(image).strip(), OCR))
    return pages


def pages_of(content: bytes, content_type: str) -> list[ExtractedPage]:
    """Every page's text; an unreadable file gives no pages (never raises on bad input)."""
    try:
        if content_type == "application/pdf" or content[:5] == b"%PDF-":
            return _pdf_pages(content)
        if content_type.startswith("image/"):
            from PIL import Image

            return [ExtractedPage(1, _ocr_image(Image.open(io.BytesIO(content))).strip(), OCR)]
        if content_type.startswith("text/"):
            return [ExtractedPage(1, content.decode("utf-8", "replace"), PLAIN)]
    except Exception:
        return []
    return []
