from .declaration import (
    Declaration,
    DeclarationContainer,
    DeclarationItem,
    ReferenceSequence,
    SupportingDocument,
    document_upload_path,
)
from .logistics import ContainerEvent, Manifest, ManifestLine, SensorReading
from .verification import PortRiskSettings, RiskRule, VerificationRequest, VerificationRun, VerificationWarning

__all__ = [
    "ContainerEvent", "Declaration", "DeclarationContainer", "DeclarationItem", "Manifest", "ManifestLine",
    "PortRiskSettings", "ReferenceSequence", "RiskRule", "SensorReading", "SupportingDocument",
    "VerificationRequest", "VerificationRun", "VerificationWarning", "document_upload_path",
]
from .uploads import LogisticsUpload, LogisticsUploadKind, LogisticsUploadStatus  # noqa: E402,F401
