"""The certificate as a PDF (reportlab): the portal's name, the certificate's data in English
and Chinese, the items covered and a QR code to the public verification page.

Chinese is set in reportlab's built-in CID font ``STSong-Light``: the PDF names the font and
every viewer supplies its glyphs, so nothing is downloaded or embedded. The QR code carries
only the short verification URL (number and check code): long payloads fail in phone cameras.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import segno
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..choices import CertificateKind, CertificateStatus
from ..models import Certificate
from .verification import certificate_verification_url

PORTAL_NAME = "Harbour Single Window"
PORTAL_NAME_ZH = "港口单一窗口"
CJK_FONT = "STSong-Light"
KIND_ZH = {
    CertificateKind.HEALTH: "卫生证书",
    CertificateKind.QUALITY: "品质证书",
    CertificateKind.PHYTOSANITARY: "植物检疫证书",
    CertificateKind.ORIGIN: "原产地证书",
}
# English labels are fixed: a certificate reads the same whoever's browser language renders it.
KIND_EN = {
    CertificateKind.HEALTH: "Health certificate",
    CertificateKind.QUALITY: "Quality certificate",
    CertificateKind.PHYTOSANITARY: "Phytosanitary certificate",
    CertificateKind.ORIGIN: "Certificate of origin",
}

_font_registered = False


def _register_font() -> None:
    global _font_registered
    if not _font_registered:
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
        _font_registered = True


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=9.5, leading=12.5)
    return {
        "base": base,
        "portal": ParagraphStyle("portal", parent=base, fontName="Helvetica-Bold", fontSize=11, leading=14),
        "portal_zh": ParagraphStyle("portal_zh", parent=base, fontName=CJK_FONT, fontSize=11, leading=14),
        "title": ParagraphStyle("title", parent=base, fontName="Helvetica-Bold", fontSize=17, leading=21),
        "title_zh": ParagraphStyle("title_zh", parent=base, fontName=CJK_FONT, fontSize=15, leading=19),
        "number": ParagraphStyle("number", parent=base, fontName="Courier-Bold", fontSize=13, leading=16),
        "label": ParagraphStyle("label", parent=base, fontName="Helvetica-Bold"),
        "zh": ParagraphStyle("zh", parent=base, fontName=CJK_FONT),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.HexColor("#444444")),
        "small_zh": ParagraphStyle(
            "small_zh", parent=base, fontName=CJK_FONT, fontSize=8, leading=10, textColor=colors.HexColor("#444444")
        ),
    }


def _text(value: str, styles: dict, style: str = "base") -> Paragraph:
    """A paragraph in Helvetica, or in the CJK font when the text is not Latin-1 (e.g. Chinese names)."""
    value = value or "—"
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        style = "zh"
    return Paragraph(escape(value), styles[style])


def _qr_image(url: str) -> Image:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=4)
    buffer.seek(0)
    return Image(buffer, width=38 * mm, height=38 * mm)


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z") if value else "—"


def certificate_pdf_bytes(certificate: Certificate) -> bytes:
    """The PDF of ``certificate`` as it is now; a revoked one carries a REVOKED mark on every page."""
    _register_font()
    styles = _styles()
    declaration = certificate.declaration
    items = sorted(certificate.items.select_related("hs_code", "origin_country"), key=lambda item: item.line_number)
    url = certificate_verification_url(certificate.number)
    revoked = certificate.status == CertificateStatus.REVOKED

    header = Table(
        [
            [
                [
                    Paragraph(PORTAL_NAME, styles["portal"]),
                    Paragraph(PORTAL_NAME_ZH, styles["portal_zh"]),
                    Spacer(1, 4 * mm),
                    Paragraph(escape(KIND_EN.get(certificate.kind, certificate.kind)), styles["title"]),
                    Paragraph(KIND_ZH.get(certificate.kind, ""), styles["title_zh"]),
                    Spacer(1, 2 * mm),
                    Paragraph(f"No. / 编号 {escape(certificate.number)}", styles["number"]),
                ],
                _qr_image(url),
            ]
        ],
        colWidths=[128 * mm, 42 * mm],
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))

    def row(english: str, chinese: str, value) -> list:
        label = [Paragraph(escape(english), styles["label"]), Paragraph(chinese, styles["zh"])]
        return [label, value if isinstance(value, Paragraph) else _text(str(value), styles)]

    status_en = "REVOKED" if revoked else "Valid"
    status_zh = "已撤销" if revoked else "有效"
    route = " → ".join(
        port.locode for port in (declaration.origin_port, declaration.transfer_port, declaration.foreign_port) if port
    )
    facts = [
        row("Status", "状态", Paragraph(f"{status_en} / {status_zh}", styles["zh"])),
        row("Customs declaration", "报关单号", declaration.reference),
        row("Exporter", "发货人", declaration.declarant.name_en),
        row("Exporter (Chinese)", "发货人（中文）", declaration.declarant.name_zh or "—"),
        row("Consignee", "收货人", declaration.consignee_name),
        row("Route", "运输路线", route),
        row("Transport document", "提单号", declaration.transport_document_number),
        row("Issued at", "签发时间", _local(certificate.issued_at)),
    ]
    if certificate.remarks:
        facts.append(row("Remarks", "备注", certificate.remarks))
    if revoked:
        facts.append(row("Revoked at", "撤销时间", _local(certificate.revoked_at)))
        facts.append(row("Reason for revocation", "撤销原因", certificate.revocation_reason))
    facts_table = Table(facts, colWidths=[48 * mm, 122 * mm])
    facts_table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )

    item_header = [
        [Paragraph("Line", styles["label"]), Paragraph("序号", styles["zh"])],
        [Paragraph("HS code", styles["label"]), Paragraph("商品编码", styles["zh"])],
        [Paragraph("Description of goods", styles["label"]), Paragraph("货物名称", styles["zh"])],
        [Paragraph("Origin", styles["label"]), Paragraph("原产地", styles["zh"])],
        [Paragraph("Quantity", styles["label"]), Paragraph("数量", styles["zh"])],
        [Paragraph("Net mass (kg)", styles["label"]), Paragraph("净重（千克）", styles["zh"])],
    ]
    item_rows = [item_header] + [
        [
            _text(str(item.line_number), styles),
            _text(item.hs_code_id, styles),
            _text(item.description, styles),
            _text(item.origin_country_id or "", styles),
            _text(f"{item.quantity.normalize():f} {item.unit}", styles),
            _text(f"{item.net_mass:f}", styles),
        ]
        for item in items
    ]
    items_table = Table(item_rows, colWidths=[13 * mm, 22 * mm, 70 * mm, 17 * mm, 25 * mm, 23 * mm], repeatRows=1)
    items_table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
            ]
        )
    )

    story = [
        header,
        Spacer(1, 5 * mm),
        facts_table,
        Spacer(1, 6 * mm),
        Paragraph("Goods covered by this certificate", styles["label"]),
        Paragraph("本证书所涉货物", styles["zh"]),
        Spacer(1, 2 * mm),
        items_table,
        Spacer(1, 8 * mm),
        Paragraph(
            "Scan the QR code or open the address below to check whether this certificate is valid or revoked, "
            "and that it matches the portal's tamper-evident ledger.",
            styles["small"],
        ),
        Paragraph(
            "扫描二维码或打开以下网址，核验本证书是否有效或已撤销，以及是否与门户的防篡改账本一致。", styles["small_zh"]
        ),
        Paragraph(escape(url), styles["small"]),
    ]

    def decorate(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(20 * mm, 12 * mm, f"{PORTAL_NAME} · {certificate.number} · page {document.page}")
        if revoked:
            canvas.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.35))
            canvas.setFont("Helvetica-Bold", 72)
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, 0, "REVOKED")
            canvas.setFont(CJK_FONT, 48)
            canvas.drawCentredString(0, -60, "已撤销")
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=f"{KIND_EN.get(certificate.kind, '')} {certificate.number}",
        author=PORTAL_NAME,
        subject=certificate.number,
        invariant=True,
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
