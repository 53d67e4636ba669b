from celery import shared_task

from .services import NothingToCheckpoint, checkpoint_create


@shared_task(name="portal.ledger_checkpoint")
def ledger_checkpoint() -> int | None:
    """Sign the tree head when the ledger grew since the last checkpoint (beat: every 5 minutes).

    Safe to run twice at once: checkpoint sizes are unique and the second run returns the first's.
    """
    try:
        checkpoint, _created = checkpoint_create(only_if_grown=True)
    except NothingToCheckpoint:
        return None
    return checkpoint.tree_size
