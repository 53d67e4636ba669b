"""Export inspection and quarantine certificates: issue, revoke, PDF with a QR code, public verification."""
