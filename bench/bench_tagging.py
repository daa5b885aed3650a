"""Benchmark of region and topic tagging on generated Russian regional-economy headlines.

Run: ``python -m bench.bench_tagging [--count N] [--seed S]``. No network; the headlines
come from templates below. Prints build time, headlines per second and PASS/FAIL
against the target of 5,000 headlines per second on one core.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence

from bot.reference import load_regions, load_topics
from bot.tagging import Tagger

TARGET_PER_SECOND = 5_000
BUILD_TARGET_SECONDS = 2.0

PLACES = (
    "в Иркутской области", "в Липецкой области", "в Пермском крае", "в Татарстане",
    "в Кузбассе", "в Приангарье", "на Кубани", "в ХМАО-Югре", "в Подмосковье",
    "в Санкт-Петербурге", "в Екатеринбурге", "в Казани", "в Новосибирске", "во Владимире",
    "в Нижнем Новгороде", "на Ямале", "в Ставрополье", "в Якутии", "в Башкирии",
    "в Республике Алтай", "в Алтайском крае", "в Москве", "в Калининградской области",
    "в Еврейской автономной области", "в Кабардино-Балкарии", "в Забайкалье",
)  # fmt: skip
ACTORS = (
    "Липецкие экспортеры", "Пермская корпорация", "Челябинские металлурги",
    "Иркутские лесопромышленники", "Томские разработчики", "Омские аграрии",
    "Кубанские фермеры", "Свердловские машиностроители", "Приморские рыбаки",
    "Ярославские химики", "Компания «Северсталь»", "Российские железные дороги",
    "Фонд развития промышленности", "Правительство региона", "Местный производитель",
)  # fmt: skip
ACTIONS = (
    "нарастили экспорт зерна в Китай", "запустили новую текстильную фабрику",
    "получили субсидию на модернизацию оборудования", "открыли логистический центр",
    "увеличили добычу угля", "построят солнечную электростанцию",
    "начали выпуск вертолётов", "договорились о поставках древесины",
    "вышли на рынки Ближнего Востока", "заключили контракт на строительство порта",
    "представили цифровую платформу для экспортеров", "открыли туристический маршрут",
    "запустили производство минеральных удобрений", "модернизировали мясокомбинат",
    "получили льготный кредит по нацпроекту", "нарастили грузооборот железной дороги",
)  # fmt: skip
TRAPS = (
    "Москва ввела новые пошлины на импорт оборудования",
    "Владимир Путин провёл совещание по развитию Сибири",
    "Курс рубля укрепился после решения ЦБ",
    "Магазин на Тверской улице сменил владельца",
    "Туристы едут на Байкал и Алтай",
    "Грузы по БАМ пойдут быстрее",
)  # fmt: skip
TEMPLATES = (
    "{actor} {action}",
    "{place} {action_passive}",
    "{actor} {action} {place}",
    "{trap}",
    "{actor} {action}. {trap}",
)
PASSIVE = (
    "открыли завод по переработке древесины", "выросло производство стали",
    "выдали гранты фермерам", "построят IT-парк", "увеличился турпоток",
    "ввели в эксплуатацию жилой комплекс", "запустили вагоностроительный завод",
    "собрали рекордный урожай пшеницы", "открыли центр поддержки экспорта",
)  # fmt: skip


def make_headlines(count: int, seed: int) -> list[str]:
    """``count`` varied headlines, reproducible for a given ``seed``."""
    rng = random.Random(seed)
    return [
        rng.choice(TEMPLATES).format(
            actor=rng.choice(ACTORS),
            action=rng.choice(ACTIONS),
            action_passive=rng.choice(PASSIVE),
            place=rng.choice(PLACES),
            trap=rng.choice(TRAPS),
        )
        for _ in range(count)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=20_000, help="headlines to tag")
    parser.add_argument("--seed", type=int, default=1, help="seed of the headline generator")
    args = parser.parse_args(argv)
    if args.count <= 0:
        parser.error("--count must be positive")

    started = time.perf_counter()
    tagger = Tagger.build(regions=load_regions(), topics=load_topics())
    build_seconds = time.perf_counter() - started

    headlines = make_headlines(args.count, args.seed)
    tagged = 0
    started = time.perf_counter()
    for headline in headlines:
        tags = tagger.tag(headline)
        tagged += bool(tags.regions or tags.topics)
    seconds = time.perf_counter() - started
    rate = args.count / seconds

    verdict = "PASS" if rate >= TARGET_PER_SECOND else "FAIL"
    print(f"build: {build_seconds:.2f} s (target < {BUILD_TARGET_SECONDS:.0f} s)")
    print(f"tagged: {args.count} headlines in {seconds:.3f} s, {tagged} with tags")
    print(f"rate: {rate:,.0f} headlines/s (target {TARGET_PER_SECOND:,}/s): {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
