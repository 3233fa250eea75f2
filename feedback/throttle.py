"""Per-sender and per-village limits on public messages: an hour's window each (common.throttle)."""

from common import throttle

WINDOW_SECONDS = 3600
PER_CLIENT = 20
PER_VILLAGE = 200


def take(*, client_hash, village_id):
    """None when the message may be stored, else the Chinese reason it may not."""
    client_key = f"feedback:client:{client_hash}"
    village_key = f"feedback:village:{village_id}"
    if not throttle.take(client_key, limit=PER_CLIENT, window=WINDOW_SECONDS):
        return f"您在一小时内已提交 {PER_CLIENT} 条意见，请稍后再试。"
    if not throttle.take(village_key, limit=PER_VILLAGE, window=WINDOW_SECONDS):
        throttle.give_back(client_key)
        return "本村（社区）近一小时收到的意见过多，请稍后再试。"
    return None


def give_back(*, client_hash, village_id):
    """Undo `take` when the message was not stored after all."""
    throttle.give_back(f"feedback:client:{client_hash}")
    throttle.give_back(f"feedback:village:{village_id}")
