"""A certificate as a PDF (reportlab): the person's name, the course, the date and the
verification code, with the address where anyone can check it."""

from __future__ import annotations

import io

from django.conf import settings
from django.urls import reverse
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

ACCENT = HexColor("#0b5cad")


def certificate_pdf(certificate) -> bytes:
    enrollment = certificate.enrollment
    name = enrollment.user.get_full_name()
    course = enrollment.course.name
    issued = f"{certificate.issued_at.day} {certificate.issued_at:%B %Y}"
    code = certificate.verification_code
    check_url = settings.SITE_URL + reverse("certificate_verify", args=[code])

    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=True)
    pdf.setTitle(f"Certificate: {course}")
    pdf.setAuthor("Training")
    pdf.setSubject(f"{name}, {course}, {issued}, verification code {code}")
    pdf.setStrokeColor(ACCENT)
    pdf.setLineWidth(6)
    pdf.rect(30, 30, width - 60, height - 60)
    pdf.setFillColor(ACCENT)
    pdf.setFont("Helvetica-Bold", 34)
    pdf.drawCentredString(width / 2, height - 140, "Certificate of completion")
    pdf.setFillColor(HexColor("#1d2433"))
    pdf.setFont("Helvetica", 16)
    pdf.drawCentredString(width / 2, height - 200, "This certifies that")
    pdf.setFont("Helvetica-Bold", 28)
    pdf.drawCentredString(width / 2, height - 245, name)
    pdf.setFont("Helvetica", 16)
    pdf.drawCentredString(width / 2, height - 290, "completed the course")
    pdf.setFont("Helvetica-Bold", 22)
    pdf.drawCentredString(width / 2, height - 330, course)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(width / 2, height - 375, f"on {issued}")
    pdf.setFont("Helvetica", 11)
    pdf.drawCentredString(width / 2, 90, f"Verification code: {code}")
    pdf.drawCentredString(width / 2, 72, f"Check it at {check_url}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
