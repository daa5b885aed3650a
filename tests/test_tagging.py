"""Tagging texts with regions and topics: every case, adjectives, capitals and traps."""

from __future__ import annotations

import pytest

from bot.domain.models import Tags, Topic
from bot.reference import load_regions, load_topics
from bot.tagging import Lemmatizer, Tagger


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.build(regions=load_regions(), topics=load_topics())


def regions_of(tagger: Tagger, text: str) -> tuple[str, ...]:
    return tagger.tag(text).regions


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Иркутская область", "RU-IRK"),
        ("Инвесторы в Иркутской области", "RU-IRK"),
        ("Губернатор представил Иркутскую область", "RU-IRK"),
        ("Иркутской областью заинтересовались инвесторы", "RU-IRK"),
        ("Урожай Липецкой области", "RU-LIP"),
        ("Заводы Пермского края", "RU-PER"),
        ("В Пермском крае открыли цех", "RU-PER"),
        ("Республике Татарстан выделят средства", "RU-TA"),
        ("Экспорт в Татарстане вырос", "RU-TA"),
        ("Экспорт Хакасии", "RU-KK"),
        ("Марий Эл наращивает экспорт", "RU-ME"),
        ("Нефть Ханты-Мансийского автономного округа", "RU-KHM"),
        ("ХМАО нарастил добычу", "RU-KHM"),
        ("Бюджет ХМАО-Югры", "RU-KHM"),
        ("Югра строит дороги", "RU-KHM"),
        ("Кузбасс отгрузил уголь", "RU-KEM"),
        ("Шахты в Кузбассе", "RU-KEM"),
        ("Приангарье привлекло инвестиции", "RU-IRK"),
        ("Лесопромышленники в Приангарье", "RU-IRK"),
        ("Заводы Прикамья", "RU-PER"),
        ("Газ Ямала", "RU-YAN"),
        ("Урожай Кубани", "RU-KDA"),
        ("Фермеры Ставрополья", "RU-STA"),
        ("Экспорт Забайкалья", "RU-ZAB"),
        ("Логистика Подмосковья", "RU-MOS"),
        ("Форум в Санкт-Петербурге", "RU-SPE"),
        ("Форум в Петербурге", "RU-SPE"),
        ("Заводы Свердловской области", "RU-SVE"),
        ("Рыбаки Еврейской автономной области", "RU-YEV"),
        ("Туризм Кабардино-Балкарии", "RU-KB"),
        ("КБР получит субсидии", "RU-KB"),
        ("Производители Чувашии", "RU-CU"),
        ("Алмазы Якутии", "RU-SA"),
        ("Нефть Башкирии", "RU-BA"),
        ("Заводы в Башкортостане", "RU-BA"),
        ("ЯНАО наращивает добычу", "RU-YAN"),
        ("Предприятия КЧР", "RU-KC"),
        ("Поставки из ЕАО", "RU-YEV"),
        ("Экспорт РСО-Алания", "RU-SE"),
        ("Заводы ДНР", "RU-DPR"),
        ("Урожай в ЛНР", "RU-LPR"),
        ("Порт в Крыму", "RU-CR"),
        ("Кемеровская область — Кузбасс", "RU-KEM"),
        ("Республика Саха (Якутия)", "RU-SA"),
        ("в Республике Северная Осетия — Алания", "RU-SE"),
        ("Нефть в Ненецком автономном округе", "RU-NEN"),
        ("Ленобласть строит порт", "RU-LEN"),
        ("На Среднем Урале открыли завод", "RU-SVE"),
        ("ИРКУТСКАЯ ОБЛАСТЬ НАРАСТИЛА ЭКСПОРТ", "RU-IRK"),
        ("Ёлки из Приангарья", "RU-IRK"),
    ],
)
def test_region_names_in_every_case(tagger: Tagger, text: str, code: str) -> None:
    assert regions_of(tagger, text) == (code,)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Липецкие экспортеры вышли на рынок Китая", "RU-LIP"),
        ("Пермская корпорация выпустила двигатель", "RU-PER"),
        ("Инвестиции иркутских предприятий выросли", "RU-IRK"),
        ("Челябинские металлурги нарастили выпуск", "RU-CHE"),
        ("Поставки московских предприятий", "RU-MOW"),
        ("Тверская фабрика получила заказ", "RU-TVE"),
        ("Новый липецкий завод", "RU-LIP"),
        ("В Смоленском районе построят ферму", "RU-SMO"),
        ("Кубанские аграрии собрали урожай", "RU-KDA"),
        ("Акции «Пермской корпорации» выросли", "RU-PER"),
        ("Губернатор Иван Петров посетил «Липецкий завод»", "RU-LIP"),
    ],
)
def test_adjectives_alone(tagger: Tagger, text: str, code: str) -> None:
    assert regions_of(tagger, text) == (code,)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Завод откроется в Иркутске", "RU-IRK"),
        ("Форум в Липецке", "RU-LIP"),
        ("Екатеринбург принял выставку", "RU-SVE"),
        ("Выставка в Екатеринбурге", "RU-SVE"),
        ("Стартапы в Казани", "RU-TA"),
        ("Технопарк в Новосибирске", "RU-NVS"),
        ("Верфь в Нижнем Новгороде", "RU-NIZ"),
        ("Порт во Владивостоке", "RU-PRI"),
        ("Завод в Ростове-на-Дону", "RU-ROS"),
        ("Форум в Ханты-Мансийске", "RU-KHM"),
        ("Склад в Улан-Удэ", "RU-BU"),
        ("Комбинат в Череповце", "RU-VLG"),
        ("Инвестиции в Тольятти", "RU-SAM"),
    ],
)
def test_capitals_and_big_cities(tagger: Tagger, text: str, code: str) -> None:
    assert regions_of(tagger, text) == (code,)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Завод открыли во Владимире", "RU-VLA"),
        ("В Москве открыли технопарк", "RU-MOW"),
        ("Поставки из Москвы выросли", "RU-MOW"),
        ("Мэр Москвы открыл завод", "RU-MOW"),
        ("Предприятия города Москвы", "RU-MOW"),
        ("Адрес: г. Москва, ул. Ленина", "RU-MOW"),
        ("Выставка в Кирове", "RU-KIR"),
        ("Ярмарка в Орле", "RU-ORL"),
        ("Завод в Кургане", "RU-KGN"),
        ("Форум в Грозном", "RU-CE"),
        ("Стройка в Питере", "RU-SPE"),
        ("Добыча нефти в НАО", "RU-NEN"),
        ("Фабрики в Иваново", "RU-IVA"),
        ("Фабрики в Иванове", "RU-IVA"),
    ],
)
def test_ambiguous_names_count_after_a_locative_cue(tagger: Tagger, text: str, code: str) -> None:
    assert regions_of(tagger, text) == (code,)


@pytest.mark.parametrize(
    "text",
    [
        "Москва ввела новые пошлины",
        "Позиция Москвы по пошлинам не изменилась",
        "Владимир Путин провёл совещание",
        "Владимир Иванов возглавил компанию",
        "Интервью Владимира Иванова",
        "Магазин открыли на Тверской улице",
        "Тверская улица закрыта",
        "Офис на ул. Тверская",
        "Пробки на Тверской",
        "Курс рубля укрепился",
        "Курсы рубля и юаня",
        "Алтай привлекает туристов",
        "Туристы на Алтае",
        "Алтайские туристы",
        "Байкал стал чище",
        "Грузы на БАМ",
        "Экспорт Сибири",
        "Урожай в Черноземье",
        "Фермеры Поволжья",
        "Заводы Урала",
        "Сергей Киров",
        "Книга о Кирове",
        "Орёл расправил крылья",
        "Гнездо орла",
        "Скифский курган",
        "Раскопки кургана",
        "Иван Грозный",
        "Мир и экономика",
        "Новости по московскому времени",
        "Торги на Московской бирже",
        "Питер Тиль инвестировал в стартап",
        "НАО «Инвестиционная компания»",
        "Александр Смоленский продал банк, сообщает Мария Орловская",
        "Дело А. Смоленского",
        "Казанский собор отреставрируют",
        "Поезд с Казанского вокзала",
        "Офис на Ленинградском проспекте",
        "Донбасс восстанавливает шахты",
    ],
)
def test_traps_do_not_tag_a_region(tagger: Tagger, text: str) -> None:
    assert regions_of(tagger, text) == ()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Томские студенты создали стартап", "RU-TOM"),
        ("Омские студенты создали стартап", "RU-OMS"),
        ("Заводы омских и томских инвесторов", "RU-OMS RU-TOM"),
        ("Тверская область нарастила выпуск", "RU-TVE"),
        ("Республика Алтай", "RU-AL"),
        ("Туризм в Республике Алтай", "RU-AL"),
        ("Турпоток в Горном Алтае", "RU-AL"),
        ("Алтайский край", "RU-ALT"),
        ("Зерно Алтайского края", "RU-ALT"),
        ("Курская область", "RU-KRS"),
        ("Курские аграрии", "RU-KRS"),
        ("Московская область", "RU-MOS"),
        ("Владимирская область", "RU-VLA"),
        ("Кировская область", "RU-KIR"),
        ("Ростов Великий привлекает туристов", "RU-YAR"),
    ],
)
def test_near_misses_of_traps(tagger: Tagger, text: str, code: str) -> None:
    assert regions_of(tagger, text) == tuple(code.split())


def test_several_regions_in_one_text_are_all_found(tagger: Tagger) -> None:
    text = (
        "Иркутская область, Кузбасс и Татарстан договорились о поставках; "
        "липецкие и челябинские металлурги открыли склад во Владимире, а ХМАО — в Казани."
    )
    assert tagger.tag(text).regions == (
        "RU-CHE",
        "RU-IRK",
        "RU-KEM",
        "RU-KHM",
        "RU-LIP",
        "RU-TA",
        "RU-VLA",
    )


def test_results_are_sorted_and_deduplicated(tagger: Tagger) -> None:
    tags = tagger.tag("Иркутск, Иркутская область, Приангарье; экспорт и экспортеры, РЖД")
    assert tags == Tags(regions=("RU-IRK",), topics=("export", "transport-logistics"))


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Строительство текстильной фабрики", "light-industry"),
        ("Швейное производство расширилось", "light-industry"),
        ("Ремонт железнодорожных путей", "transport-logistics"),
        ("Ремонт железной дороги", "transport-logistics"),
        ("РЖД увеличили погрузку", "transport-logistics"),
        ("Грузооборот морского порта", "transport-logistics"),
        ("Добыча золота выросла", "mining-metallurgy"),
        ("Цены на сталь выросли", "mining-metallurgy"),
        ("Урожай пшеницы", "agro"),
        ("Развитие сельского хозяйства", "agro"),
        ("Новый мясокомбинат", "food"),
        ("Сборка самолётов МС-21", "aircraft"),
        ("Новый энергоблок ТЭЦ", "energy"),
        ("Заготовка древесины", "forestry"),
        ("Производство минеральных удобрений", "chemistry"),
        ("Станкостроение возрождается", "machinery"),
        ("Цифровизация предприятий", "it"),
        ("Турпоток вырос", "tourism"),
        ("Застройщики сдали дома", "construction"),
        ("Экспортеры вышли на новые рынки", "export"),
        ("Фонд развития промышленности выдал заём", "state-support"),
        ("Субсидии аграриям", "state-support"),
        ("Резиденты территории опережающего развития", "state-support"),
        ("Добыча нефти", "oil-gas"),
        ("Вылов минтая", "fishing"),
        ("Выпуск вакцин", "pharma"),
    ],
)
def test_topics_from_keywords_in_any_form(tagger: Tagger, text: str, slug: str) -> None:
    assert slug in tagger.tag(text).topics


@pytest.mark.parametrize(
    "text",
    [
        "Компании стали чаще нанимать",
        "Интервью Владимира Путина",
        "Рост рубля продолжился",
        "Губернатор провёл встречу с жителями",
    ],
)
def test_topic_keywords_do_not_fire_on_everything(tagger: Tagger, text: str) -> None:
    assert tagger.tag(text).topics == ()


def test_feed_categories_go_through_the_same_dictionaries(tagger: Tagger) -> None:
    tags = tagger.tag("Липецкие экспортеры нарастили поставки", categories=("Сельское хозяйство",))
    assert tags == Tags(regions=("RU-LIP",), topics=("agro", "export"))
    assert tagger.tag("Новости", categories=("Иркутская область", "Транспорт")) == Tags(
        regions=("RU-IRK",), topics=("transport-logistics",)
    )


def test_phrases_do_not_match_across_categories(tagger: Tagger) -> None:
    assert tagger.tag("", categories=("Сельское", "хозяйство")).topics == ()


def test_building_with_a_subset_of_topics_and_regions() -> None:
    irkutsk = next(r for r in load_regions() if r.code == "RU-IRK")
    tagger = Tagger.build(
        regions=(irkutsk,),
        topics=(Topic("gold", "Золото", "Gold", ("золото",)),),
    )
    assert tagger.tag("Золото Приангарья, Липецк") == Tags(regions=("RU-IRK",), topics=("gold",))


def test_no_form_is_claimed_by_two_regions(tagger: Tagger) -> None:
    assert tagger.conflicts == ()


def test_empty_text(tagger: Tagger) -> None:
    assert tagger.tag("") == Tags()
    assert tagger.tag("... !!! ---") == Tags()


@pytest.fixture(scope="module")
def lemmatizer() -> Lemmatizer:
    return Lemmatizer(cache_size=1000)


@pytest.mark.parametrize(
    ("text", "lemmas"),
    [
        ("золота добывают", ("золото", "добывать")),
        ("Иркутской области", ("иркутский", "область")),
        ("ЁЛКИ и ёжики", ("елка", "и", "ежик")),
        ("Ханты-Мансийского округа!", ("ханты-мансийский", "округ")),
        ("", ()),
    ],
)
def test_lemmatizer(lemmatizer: Lemmatizer, text: str, lemmas: tuple[str, ...]) -> None:
    assert lemmatizer.lemmas(text) == lemmas


def test_lemmatizer_cache_is_bounded() -> None:
    lemmatizer = Lemmatizer(cache_size=2)
    lemmatizer.lemmas("один два три четыре один")
    info = lemmatizer.lemma.cache_info()
    assert info.maxsize == 2
    assert info.currsize == 2
