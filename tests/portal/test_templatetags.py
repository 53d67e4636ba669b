from datetime import UTC, datetime

from django.template import engines

DJANGO_FILTERS = (
    "{% load tz %}<time datetime=\"{{ moment|date:'c' }}\">"
    '{{ moment|timezone:"Asia/Shanghai"|date:"Y-m-d H:i" }}</time>'
)


def rendered(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_port_time_writes_what_django_s_date_filters_wrote_in_the_ports_local_time():
    moment = datetime(2026, 11, 21, 17, 45, 30, 123456, tzinfo=UTC)  # 01:45 the next day in Shekou
    ours = rendered("{% load portal_tags %}{% port_time moment %}", moment=moment)
    assert ours == rendered(DJANGO_FILTERS, moment=moment)
    assert ours == '<time datetime="2026-11-22T01:45:30.123456+08:00">2026-11-22 01:45</time>'


def test_port_time_of_no_moment_is_nothing_and_can_be_kept_for_a_sentence():
    assert rendered("{% load portal_tags %}[{% port_time moment %}]", moment=None) == "[]"
    moment = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    sentence = rendered("{% load portal_tags %}{% port_time moment as since %}since {{ since }}", moment=moment)
    assert sentence == 'since <time datetime="2026-01-02T11:04:00+08:00">2026-01-02 11:04</time>'
