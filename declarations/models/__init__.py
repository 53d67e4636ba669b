from .declaration import (
    Declaration,
    DeclarationContainer,
    DeclarationItem,
    ReferenceSequence,
    SupportingDocument,
    document_upload_path,
)
from .jobs import DashboardWarningCount, DashboardWeek, ReverifyJob, ReverifyJobStatus  # noqa: F401
from .logistics import ContainerEvent, Manifest, ManifestLine, SensorReading
from .review import Assignment, Hold
from .uploads import LogisticsUpload, LogisticsUploadKind, LogisticsUploadStatus
from .verification import PortRiskSettings, RiskRule, VerificationRequest, VerificationRun, VerificationWarning

__all__ = [
    "Assignment",
    "ContainerEvent",
    "Declaration",
    "DeclarationContainer",
    "DeclarationItem",
    "Hold",
    "LogisticsUpload",
    "LogisticsUploadKind",
    "LogisticsUploadStatus",
    "Manifest",
    "ManifestLine",
    "PortRiskSettings",
    "ReferenceSequence",
    "RiskRule",
    "SensorReading",
    "SupportingDocument",
    "VerificationRequest",
    "VerificationRun",
    "VerificationWarning",
    "document_upload_path",
]
