"""The ledger's tables. Rows are only ever inserted (the head row is the one exception: it
moves forward); nothing in the code updates or deletes an entry, a node or a checkpoint."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerEntry(models.Model):
    """One event; ``seq`` is its leaf index in the Merkle tree (0, 1, 2, … without gaps)."""

    seq = models.BigIntegerField(_("sequence number"), primary_key=True)
    kind = models.CharField(_("kind"), max_length=64)
    subject = models.CharField(_("subject"), max_length=200)
    payload = models.TextField(_("payload (canonical JSON)"))
    public_fields = models.JSONField(_("public fields"), default=list)
    salt = models.CharField(_("salt of the private field hashes"), max_length=32)
    leaf_hash = models.BinaryField(_("leaf hash"), max_length=32)
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        app_label = "portal"
        ordering = ["seq"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["subject", "-seq"], name="ledger_entry_subject_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.subject}"


class LedgerNode(models.Model):
    """The hash of the complete subtree over leaves [index·2^level, (index+1)·2^level), level ≥ 1."""

    pk = models.CompositePrimaryKey("level", "index")
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        app_label = "portal"
        verbose_name = _("ledger node")
        verbose_name_plural = _("ledger nodes")

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class LedgerHead(models.Model):
    """The single row that serialises appends: the tree size and its right-edge hashes."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    frontier = models.BinaryField(default=b"")

    class Meta:
        app_label = "portal"
        verbose_name = _("ledger head")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="ledger_head_single_row")]

    def __str__(self) -> str:
        return f"ledger of {self.size} entries"


class LedgerCheckpoint(models.Model):
    """A signed tree head (C2SP tlog-checkpoint body, Ed25519)."""

    tree_size = models.BigIntegerField(_("tree size"), unique=True)
    root_hash = models.BinaryField(_("root hash"), max_length=32)
    origin = models.CharField(_("log origin"), max_length=100)
    key_id = models.CharField(_("key id"), max_length=8)
    signature = models.BinaryField(_("signature"), max_length=64)
    created_at = models.DateTimeField(_("signed at"))

    class Meta:
        app_label = "portal"
        ordering = ["-tree_size"]
        verbose_name = _("ledger checkpoint")
        verbose_name_plural = _("ledger checkpoints")

    def __str__(self) -> str:
        return f"checkpoint {self.tree_size}"
