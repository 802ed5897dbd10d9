# ruff: noqa: E501
"""Write bench/data/corpus.jsonl: a labelled corpus of originals, copies and hard negatives.

All text is generated here from our own phrase pools, deterministically from a
seed. For each event several *independent* articles are written (different
structure and wording) that share names, places, figures and the same long
quotes of officials: the hard negatives. Copies are made the way syndicators
republish: courtesy footers, new headlines, bylines and datelines, bottom cuts,
summary-only descriptions, light copy edits (1-4% of words), British/American
spellings, HTML wrapping and entities, inserted "Related:" lines and outlet
sign-offs. English, Russian and Ukrainian.

Each line: {"id", "story", "event", "kind", "lang", "outlet", "link", "guid",
"title", "content", "summary", "at"}; items with the same "story" are copies of
one article. Run: python bench/data/make_corpus.py [--seed N]
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
from pathlib import Path

OUT = Path(__file__).with_name("corpus.jsonl")

# ---------------------------------------------------------------- English pools
FIRST = ["Anna", "Marek", "Olena", "Tomas", "Ines", "Rahul", "Keiko", "Samuel", "Leila", "Viktor", "Grace", "Pavel", "Amara", "Jonas", "Sofia", "Daniel", "Mira", "Farid", "Helen", "Ruben", "Zofia", "Kwame", "Elena", "Hugo", "Nadia", "Oskar", "Priya", "Lukas", "Irina", "Mateo"]
LAST = ["Kovacs", "Brandt", "Hryhorenko", "Lindqvist", "Okafor", "Moreau", "Tanaka", "Petrov", "Haddad", "Novak", "Castellano", "Mbeki", "Sorensen", "Varga", "Quinn", "Albescu", "Reyes", "Hollis", "Demir", "Kaur", "Jansen", "Szabo", "Abiodun", "Ferreira", "Walsh", "Ivanenko", "Dumont", "Rossi", "Nakamura", "Lindgren"]
PLACES = [
    ("Gdansk", "Poland"),
    ("Odesa", "Ukraine"),
    ("Lagos", "Nigeria"),
    ("Porto", "Portugal"),
    ("Tallinn", "Estonia"),
    ("Izmir", "Turkey"),
    ("Valparaiso", "Chile"),
    ("Mombasa", "Kenya"),
    ("Rotterdam", "the Netherlands"),
    ("Chennai", "India"),
    ("Danang", "Vietnam"),
    ("Tbilisi", "Georgia"),
    ("Belgrade", "Serbia"),
    ("Almaty", "Kazakhstan"),
    ("Cork", "Ireland"),
    ("Bilbao", "Spain"),
    ("Surabaya", "Indonesia"),
    ("Accra", "Ghana"),
    ("Riga", "Latvia"),
    ("Brno", "the Czech Republic"),
    ("Tromso", "Norway"),
    ("Cebu", "the Philippines"),
    ("Varna", "Bulgaria"),
    ("Antalya", "Turkey"),
    ("Kraków", "Poland"),
    ("Lviv", "Ukraine"),
    ("Durban", "South Africa"),
    ("Quito", "Ecuador"),
]
ROLES = [
    "foreign minister",
    "port authority chief",
    "union leader",
    "central bank governor",
    "regional governor",
    "mayor",
    "defence minister",
    "energy minister",
    "fire service chief",
    "health minister",
    "chief negotiator",
    "transport minister",
    "police commissioner",
    "head of the election commission",
    "finance minister",
    "army spokesperson",
]
TOPICS = [
    ("port strike", "the dockworkers' strike", "dockworkers", "cargo terminals"),
    ("ceasefire talks", "the ceasefire negotiations", "negotiators", "front-line villages"),
    ("wildfire", "the forest fire", "firefighters", "hillside districts"),
    ("rate decision", "the interest rate decision", "economists", "mortgage holders"),
    ("grain corridor", "the grain shipping corridor", "exporters", "Black Sea ports"),
    ("mine collapse", "the collapse at the coal mine", "rescuers", "mining towns"),
    ("election recount", "the disputed recount", "observers", "polling stations"),
    ("pipeline leak", "the oil pipeline leak", "engineers", "coastal wetlands"),
    ("border closure", "the closure of the border crossings", "hauliers", "customs posts"),
    ("drought", "the prolonged drought", "farmers", "irrigation districts"),
    ("rail strike", "the national rail walkout", "commuters", "suburban lines"),
    ("power outage", "the grid failure", "utility crews", "industrial zones"),
    ("flood", "the river flooding", "emergency teams", "riverside neighbourhoods"),
    ("drone attack", "the overnight drone strikes", "air defence units", "energy facilities"),
    ("budget vote", "the parliamentary budget vote", "lawmakers", "public hospitals"),
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = (
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
)

# Independent article skeletons: each article draws its own templates in its own order.
LEDES = [
    "{Actor1} said on {day} that {topic_np} in {city} had {turn}, as {group} {group_act}.",
    "{group_cap} in {city} {group_act} on {day} after {topic_np} {turn2}, officials said.",
    "{topic_np_cap} {turn2} on {day}, leaving {figure1} {unit1} {affected} across {region}.",
    "Officials in {country} scrambled on {day} to contain {topic_np}, which has {turn3} {region}.",
    "The government of {country} faced mounting pressure on {day} over its handling of {topic_np} in {city}.",
    "A {age} standoff over {topic_np} in {city} {turn4} on {day}, according to people familiar with the matter.",
]
BODY = [
    "{Actor1}, the {role1}, told reporters that the situation was {adj_state} but that {plan}.",
    "According to figures released by {org}, {figure1} {unit1} have been {affected} since {month}.",
    "The {role2}, {Actor2}, said {pronoun2} would meet {group} again {when} to discuss {issue}.",
    "Critics accused the authorities of {failing} and demanded {demand}.",
    "{org_cap} estimated the cost at {money} and warned that the figure could rise.",
    "In {city}, {group} said they had been given {little} notice of the measures.",
    "{Actor2} rejected suggestions that the government had {failing2}, calling them {dismissal}.",
    "The dispute has its roots in {roots}, analysts say.",
    "Neighbouring {region} reported {side_effect} on {day2}.",
    "Earlier this {period}, {org} had warned that {warning}.",
    "{Actor1} is expected to brief {audience} on {day2}.",
    "Local media reported that {rumour}.",
    "The last comparable episode, in {year}, {history}.",
    "Talks between {group} and the {role3} broke off late on {day2} without {result}.",
    "{figure2} {unit2} were reported {affected2} by {day2} evening, up from {figure3} a day earlier.",
    "Opposition politicians called for {demand2}.",
    "Markets reacted {market}, with {asset} {moving} {pct} percent.",
    "{org_cap} said its {staff} were working around the clock and asked residents to {ask}.",
    "Some {group} said the measures came too late, while others {praise}.",
    "The {role3} is due to present {doc} to parliament by the end of the {period}.",
    "A spokesperson for {org} declined to comment on {issue}.",
    "Residents of {city} described {scene}.",
    "The European Commission said it was {eu_stance} the situation in {country}.",
    "It was not immediately clear {unclear}.",
    "By {day2} afternoon, {org} had opened {figure3} temporary shelters in and around {city}.",
    "{Actor2} said the {role3} had been informed of the decision on {day}, a claim the ministry disputed.",
    "Footage shared online showed {scene} near the main square of {city}.",
    "Insurers said claims linked to {topic_np} could exceed {money}.",
    "The {role1} cut short a visit abroad and returned to {city} on {day2}.",
    "Independent experts interviewed by local radio said the official figure of {figure2} was probably too low.",
]
QUOTE_INTRO = [
    '"{quote}" {Actor1} said.',
    '{Actor1} told a news conference: "{quote}"',
    'In a statement, the {role1} said: "{quote}"',
    '"{quote}" the {role1} said in a televised address.',
]
# Quotes are built per event from a small grammar, so that each event's officials say
# their own words (shared verbatim by every article of that event, never across events).
QUOTE_OPEN = [
    "Let me be clear:", "I want to say this plainly:", "Tonight", "From the first hour", "As of this morning",
    "Whatever happens next,", "For the families in {city},", "After {n} hours of talks,", "Since {day},",
    "I have told the cabinet that", "My message to the people of {city} is simple:", "In the last {n} days",
]
QUOTE_CORE = [
    "we are doing everything in our power to bring the {topic} under control",
    "nobody in {city} will be left to deal with the consequences alone",
    "every agency has committed {n} more people and all of its equipment",
    "we will not accept a deal that leaves the most vulnerable paying the price",
    "our first duty is to the {n} families who are still waiting for help",
    "the findings of the inquiry into the {topic} will be published in full",
    "we acted within hours and not days, unlike in {year}",
    "the government will cover the cost of the damage up to {money}",
    "our partners in {country} and abroad have offered support and we accept it",
    "there will be no return to business as usual in {city}",
    "we will keep talking with the {group} for as long as there is a chance of an agreement",
    "the figure of {figure2} is not a statistic, it is neighbours and colleagues",
    "I have asked the {role} to report to me personally every {n} hours",
    "we knew the risks and we should have moved faster on the {topic}",
    "the {group} have shown extraordinary patience and they deserve action",
    "no minister will hide behind procedure while {city} waits",
]
QUOTE_TAIL = [
    ", and I expect results by the end of the week.", ", and that is a promise I intend to keep.",
    ", whatever the cost to the budget.", ", even if it takes months.",
    ", because the people of {city} deserve nothing less.",
    ", and I will answer for every decision we take.", ".", ", full stop.",
    ", and the next {n} days will show whether we are right.",
]
FILL = {
    "turn": [
        "entered a critical phase",
        "eased slightly overnight",
        "worsened sharply",
        "stalled again",
        "reached a turning point",
        "shown the first signs of progress",
    ],
    "turn2": [
        "escalated",
        "deepened",
        "dragged into a second week",
        "took a sudden turn",
        "spread to new areas",
        "showed no sign of ending",
    ],
    "turn3": [
        "disrupted daily life across",
        "paralysed much of",
        "cast a shadow over",
        "strained services in",
    ],
    "turn4": [
        "came to a head",
        "appeared close to a resolution",
        "threatened to spill over",
        "intensified",
    ],
    "group_act": [
        "gathered outside the regional administration",
        "waited for news",
        "prepared for a long night",
        "counted the cost",
        "demanded answers",
        "stocked up on supplies",
    ],
    "affected": ["affected", "displaced", "left without work", "cut off", "evacuated", "stranded"],
    "affected2": ["affected", "stranded", "evacuated", "without power", "missing"],
    "adj_state": ["serious", "difficult", "stable", "fragile", "under control", "worrying"],
    "plan": [
        "a contingency plan was in place",
        "extra staff had been sent to the area",
        "the next 48 hours would be decisive",
        "emergency funding had been approved",
        "the army had been put on standby",
        "a task force would report by the weekend",
    ],
    "when": [
        "later this week",
        "on Friday",
        "within days",
        "before the end of the month",
        "next week",
    ],
    "issue": [
        "compensation",
        "the timetable for reopening",
        "safety guarantees",
        "the terms of a deal",
        "the deployment of additional crews",
        "the cost of repairs",
    ],
    "failing": [
        "reacting too slowly",
        "ignoring repeated warnings",
        "underfunding local services",
        "withholding information",
        "mismanaging the response",
    ],
    "failing2": ["ignored the warnings", "been caught unprepared", "misled the public"],
    "dismissal": ["unfounded", "deeply unfair", "political point-scoring", "a distraction"],
    "demand": [
        "a full public inquiry",
        "the resignation of the minister",
        "immediate compensation",
        "an independent investigation",
        "emergency legislation",
    ],
    "demand2": [
        "an emergency session of parliament",
        "a vote of no confidence",
        "a cross-party commission",
    ],
    "little": ["little", "almost no", "barely a day's", "no advance"],
    "roots": [
        "a long-running disagreement over pay",
        "years of underinvestment",
        "a 2019 agreement that both sides now interpret differently",
        "the collapse of an earlier deal",
        "a change in regulations last year",
    ],
    "side_effect": [
        "knock-on delays",
        "a rise in prices",
        "a surge in demand",
        "minor disruption",
        "long queues at petrol stations",
    ],
    "warning": [
        "the system was close to breaking point",
        "the risk had been underestimated",
        "reserves would run low by winter",
        "a single failure could trigger wider problems",
    ],
    "audience": [
        "parliament",
        "the cabinet",
        "regional leaders",
        "foreign diplomats",
        "the security council",
    ],
    "rumour": [
        "the talks had nearly collapsed twice",
        "several senior officials had offered to resign",
        "a compromise text was already circulating",
        "the army had been asked to help",
    ],
    "history": [
        "lasted almost a month",
        "cost the economy an estimated 2 billion euros",
        "ended with a government reshuffle",
        "led to new safety rules",
    ],
    "result": ["an agreement", "a date for new talks", "a joint statement", "any visible progress"],
    "market": ["nervously", "calmly", "sharply", "with caution"],
    "asset": [
        "the national currency",
        "shares in the main operator",
        "government bonds",
        "wheat futures",
    ],
    "moving": ["falling", "rising", "slipping", "climbing"],
    "staff": ["crews", "teams", "engineers", "volunteers", "medics"],
    "ask": [
        "stay indoors",
        "avoid unnecessary travel",
        "follow official channels",
        "conserve water",
        "check on elderly neighbours",
    ],
    "praise": ["praised the speed of the response", "said they were relieved", "urged patience"],
    "doc": ["a recovery plan", "a revised budget", "a draft law", "an interim report"],
    "scene": [
        "long queues and shuttered shops",
        "streets lined with fire engines",
        "an eerie quiet in the normally busy centre",
        "crowds gathered around radios",
    ],
    "eu_stance": [
        "closely monitoring",
        "ready to support",
        "concerned about",
        "in contact with officials over",
    ],
    "unclear": [
        "how long the measures would last",
        "who would pay for the damage",
        "whether the talks would resume",
        "how many people remained in the area",
    ],
    "period": ["week", "month", "year"],
    "unit1": ["people", "households", "workers", "families", "passengers"],
    "unit2": ["people", "vehicles", "homes", "ships", "flights"],
    "age": ["weeks-long", "months-long", "bitter", "days-long"],
    "pct": ["1.2", "2.5", "0.8", "3.1", "4.4", "1.9"],
}
HEADLINES = [
    "{Topic} in {city}: {Actor1} says situation has {turn}",
    "{country_cap} under pressure as {topic} {turn2}",
    "{Actor2} rejects criticism over {topic}",
    "What we know about the {topic} in {city}",
    "{figure1} {unit1} {affected} as {topic} {turn2}",
    "{Topic}: talks in {city} {turn4}",
]
NEW_HEADLINES = [
    "BREAKING: {Topic} in {city} latest",
    "{city} {topic}: officials speak out",
    "{Actor1}: 'nobody will be left alone' after {topic}",
    "Live: {topic} in {country}",
    "Officials respond to {topic} crisis",
]
SPELL = [
    ("organisation", "organization"),
    ("defence", "defense"),
    ("centre", "center"),
    ("labour", "labor"),
    ("neighbouring", "neighboring"),
    ("neighbours", "neighbors"),
    ("neighbourhoods", "neighborhoods"),
    ("criticised", "criticized"),
    ("recognise", "recognize"),
    ("paralysed", "paralyzed"),
    ("travelled", "traveled"),
    ("programme", "program"),
    ("analysed", "analyzed"),
    ("favour", "favor"),
    ("licence", "license"),
]
SYNONYMS = {
    "said": "stated",
    "told": "informed",
    "warned": "cautioned",
    "demanded": "called for",
    "people": "residents",
    "officials": "authorities",
    "government": "administration",
    "rose": "climbed",
    "expected": "due",
    "immediately": "instantly",
    "around": "about",
    "reported": "said",
    "earlier": "previously",
    "described": "recounted",
    "urged": "asked",
}

# ---------------------------------------------------------------- Cyrillic pools
RU = {
    "names": [
        "Андрей Соколов",
        "Марина Лебедева",
        "Игорь Волков",
        "Елена Морозова",
        "Сергей Орлов",
        "Наталья Фёдорова",
        "Дмитрий Зайцев",
        "Ольга Никитина",
        "Павел Громов",
        "Ирина Белова",
    ],
    "roles": [
        "губернатор области",
        "министр энергетики",
        "глава МЧС региона",
        "мэр города",
        "представитель министерства транспорта",
        "председатель профсоюза",
    ],
    "cities": [
        "Новосибирск",
        "Казань",
        "Самара",
        "Владивосток",
        "Екатеринбург",
        "Мурманск",
        "Омск",
    ],
    "topics": [
        "паводок",
        "забастовка докеров",
        "отключение электричества",
        "лесной пожар",
        "авария на трубопроводе",
        "закрытие пограничного перехода",
    ],
    "ledes": [
        "{a1}, {r1}, в {day} заявил, что ситуация в городе {c} {turn}: {t} продолжается.",
        "В городе {c} в {day} продолжили бороться с последствиями: от ситуации пострадали уже {f1} человек.",
        "Власти города {c} в {day} ввели режим повышенной готовности: {t} продолжается.",
        "Число пострадавших в районе {d} города {c} к {day} достигло {f1}, сообщили в региональном штабе.",
    ],
    "body": [
        "По данным регионального ведомства, с начала месяца в районе {d} пострадали {f1} человек.",
        "{a2}, {r2}, сообщил, что {n1} дополнительных бригад уже направлены в {c}.",
        "Жители района {d} жалуются, что их не предупредили заранее о введённых ограничениях.",
        "Ущерб предварительно оценивается в {m} рублей, однако эта сумма может вырасти.",
        "{n1} оппозиционных депутатов потребовали провести независимое расследование событий в {c}.",
        "Ещё в {n2} году эксперты предупреждали, что инфраструктура района {d} изношена.",
        "В соседних с {d} районах сообщают о перебоях с транспортом и очередях на {n1} заправках.",
        "Переговоры с представителями {n1} профсоюзов прервались поздно вечером без результата.",
        "Местные СМИ сообщают, что {n1} чиновников администрации города {c} уже подали в отставку.",
        "По словам аналитиков, корни проблемы в {c} уходят в многолетнее недофинансирование.",
        "Следующее совещание оперативного штаба под руководством {a2} назначено на пятницу.",
        "Волонтёры организовали {n1} пунктов обогрева и раздачи питьевой воды в районе {d}.",
        "К вечеру число пострадавших выросло до {f2}, сообщили в ведомстве.",
        "Прокуратура района {d} начала проверку по факту произошедшего, изъяты {n2} документов.",
        "Пока неясно, сколько продлятся ограничения в {c} и кто возместит ущерб в {m} рублей.",
        "Школы района {d} переведены на дистанционное обучение, занятия пропустят {n2} учеников.",
    ],
    "districts": [
        "Заречный",
        "Центральный",
        "Ленинский",
        "Октябрьский",
        "Северный",
        "Промышленный",
        "Кировский",
        "Советский",
    ],
    "quote_intro": ["«{q}», — сказал {a1}.", "{a1} заявил журналистам: «{q}»."],
    "quote_open": ["Хочу сказать прямо:", "С первых часов", "Для жителей города {c}", "Уже {n} часов подряд",
                   "Сегодня", "Я поручил правительству, чтобы", "Повторю ещё раз:", "В ближайшие {n} дней"],
    "quote_core": ["мы делаем всё возможное, чтобы взять ситуацию под контроль",
                   "никто не останется один на один с последствиями",
                   "все службы работают круглосуточно, к ним присоединились ещё {n} бригад",
                   "виновные будут установлены, а результаты проверки опубликованы полностью",
                   "ущерб будет возмещён каждой семье, которая пострадала",
                   "мы не допустим повторения того, что произошло в {y} году",
                   "город {c} получит всю необходимую помощь из федерального бюджета",
                   "мы благодарны волонтёрам, которые приехали в {c} в первые же часы",
                   "жители района {d} должны знать, что о них не забыли",
                   "решения о компенсациях будут приняты не позднее чем через {n} дней"],
    "quote_tail": [".", ", и я лично буду это контролировать.", ", чего бы это ни стоило.",
                   ", и это не обсуждается.", ", и об этом я доложу президенту."],
    "quote_parts": [
        "Мы делаем всё возможное, чтобы взять ситуацию в городе {c} под контроль, и я хочу ясно сказать, что никто не останется один на один с последствиями.",
        "Решения, которые мы примем в ближайшие дни, определят жизнь тысяч семей в {c}, и мы обязаны честно говорить людям о том, что возможно, а что нет.",
        "Все службы получили приказ работать круглосуточно и без выходных, пока в {c} не будет восстановлена нормальная жизнь.",
        "Виновные будут установлены, а результаты проверки мы опубликуем полностью, ничего не скрывая от жителей {c}.",
        "Мы благодарны волонтёрам и соседним регионам, которые прислали людей и технику в {c} в первые же часы.",
    ],
    "turn": [
        "остаётся сложной",
        "стабилизировалась",
        "резко ухудшилась",
        "находится под контролем",
    ],
    "days": ["понедельник", "вторник", "среду", "четверг", "пятницу"],
    "credit": "ТАСС",
    "dateline": "{C}, {d} ноября. /ТАСС/. ",
    "footer": "Читайте также: {t} в {c} - главное к этому часу",
}
UA = {
    "names": [
        "Олександр Коваленко",
        "Оксана Шевчук",
        "Богдан Мельник",
        "Тетяна Бондаренко",
        "Василь Кравченко",
        "Ірина Ткаченко",
        "Микола Савчук",
        "Людмила Поліщук",
    ],
    "roles": [
        "голова обласної адміністрації",
        "міністр енергетики",
        "мер міста",
        "речник ДСНС",
        "голова профспілки",
    ],
    "cities": ["Одеса", "Харків", "Дніпро", "Запоріжжя", "Житомир", "Полтава"],
    "topics": ["знеструмлення", "повінь", "атака дронів", "страйк залізничників", "лісова пожежа"],
    "ledes": [
        "{a1}, {r1}, у {day} заявив, що ситуація у місті {c} {turn}: {t} триває.",
        "У місті {c} у {day} ліквідовують наслідки: постраждали вже {f1} людей.",
        "Влада міста {c} у {day} запровадила режим підвищеної готовності: {t} триває.",
        "Кількість постраждалих у районі {d} міста {c} на {day} сягнула {f1}, повідомили в обласному штабі.",
    ],
    "body": [
        "За даними обласного відомства, з початку місяця в районі {d} постраждали {f1} людей.",
        "{a2}, {r2}, повідомив, що {n1} додаткових бригад уже прямують до міста {c}.",
        "Мешканці району {d} скаржаться, що їх не попередили заздалегідь про обмеження.",
        "Збитки попередньо оцінюють у {m} гривень, але сума може зрости.",
        "{n1} депутатів міськради {c} вимагають незалежного розслідування.",
        "Ще у {n2} році експерти попереджали, що інфраструктура району {d} зношена.",
        "У сусідніх із {d} громадах повідомляють про перебої з транспортом на {n1} маршрутах.",
        "Переговори з {n1} профспілками перервалися пізно ввечері без результату.",
        "Волонтери відкрили {n1} пунктів незламності та роздачі питної води в районі {d}.",
        "Увечері кількість постраждалих зросла до {f2}, повідомили у відомстві.",
        "Наступне засідання штабу під головуванням {a2} призначене на п'ятницю.",
        "Поки незрозуміло, скільки триватимуть обмеження в місті {c} і хто відшкодує {m} гривень збитків.",
        "Аналітики пояснюють проблеми міста {c} багаторічним недофінансуванням.",
        "Прокуратура району {d} розпочала перевірку, вилучено {n2} документів.",
        "Школи району {d} перейшли на дистанційне навчання, уроки пропустять {n2} учнів.",
        "Енергетики обіцяють відновити живлення {n2} будинків у районі {d} до ранку.",
    ],
    "districts": [
        "Приморський",
        "Шевченківський",
        "Центральний",
        "Слобідський",
        "Київський",
        "Заводський",
        "Подільський",
    ],
    "quote_intro": ["«{q}», — сказав {a1}.", "{a1} заявив журналістам: «{q}»."],
    "quote_open": ["Скажу прямо:", "З перших годин", "Для мешканців міста {c}", "Уже {n} годин поспіль",
                   "Сьогодні", "Я доручив уряду, щоб", "Повторю ще раз:", "Найближчими {n} днями"],
    "quote_core": ["ми робимо все можливе, щоб узяти ситуацію під контроль",
                   "ніхто не залишиться сам на сам із наслідками",
                   "усі служби працюють цілодобово, до них приєдналися ще {n} бригад",
                   "винних буде встановлено, а результати перевірки оприлюднено повністю",
                   "збитки буде відшкодовано кожній родині, яка постраждала",
                   "ми не допустимо повторення того, що сталося у {y} році",
                   "місто {c} отримає всю необхідну допомогу з державного бюджету",
                   "ми вдячні волонтерам, які приїхали до міста {c} у перші ж години",
                   "мешканці району {d} мають знати, що про них не забули",
                   "рішення про компенсації ухвалять не пізніше ніж за {n} днів"],
    "quote_tail": [".", ", і я особисто це контролюватиму.", ", чого б це не коштувало.",
                   ", і це не обговорюється.", ", і про це я доповім президенту."],
    "quote_parts": [
        "Ми робимо все можливе, щоб узяти ситуацію в місті {c} під контроль, і я хочу чітко сказати, що ніхто не залишиться сам на сам із наслідками.",
        "Рішення, які ми ухвалимо найближчими днями, визначать життя тисяч родин у місті {c}, і ми зобов'язані чесно казати людям, що можливо, а що ні.",
        "Усі служби отримали наказ працювати цілодобово, доки в місті {c} не відновиться нормальне життя.",
        "Винних буде встановлено, а результати перевірки ми оприлюднимо повністю, нічого не приховуючи від мешканців міста {c}.",
        "Ми вдячні волонтерам і сусіднім громадам, які надіслали людей і техніку до міста {c} вже в перші години.",
    ],
    "turn": ["залишається складною", "стабілізувалася", "різко погіршилася", "під контролем"],
    "days": ["понеділок", "вівторок", "середу", "четвер", "п'ятницю"],
    "credit": "Укрінформ",
    "dateline": "{C} - Укрінформ. ",
    "footer": "Читайте також: {t} у місті {c} - головне",
}

# ---------------------------------------------------------------- outlets
WIRE_OUTLETS = ["rt.com", "apnews.com", "reuters.com", "afp.com"]
CREDITS = {"rt.com": "rt.com", "apnews.com": "AP", "reuters.com": "Reuters", "afp.com": "AFP"}
ORIGINAL_OUTLETS = [
    "rt.com",
    "apnews.com",
    "reuters.com",
    "afp.com",
    "theharbourtimes.co.uk",
    "eveningledger.com",
    "northstarpost.com",
    "meridian-news.org",
    "kyivdispatch.ua",
]
SYNDICATORS = [
    "ussanews.com",
    "dailybulletin.net",
    "thecoastalherald.com",
    "worldwirefeed.com",
    "newsnowhub.org",
    "midlandsgazette.co.uk",
    "prairiepress.us",
    "globalnewsdigest.net",
]
SIGN_OFFS = {  # outlet-specific lines no regex knows: caught by repeated-sentence counting
    "dailybulletin.net": "Follow Daily Bulletin on Telegram for updates as they happen.",
    "newsnowhub.org": "Stay informed with NewsNow Hub, your independent source of world headlines.",
    "worldwirefeed.com": "World Wire Feed brings you the stories that matter, every hour of every day.",
}


class Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, seq: list[str] | tuple[str, ...]) -> str:
        return self.rng.choice(list(seq))


def _fill(template: str, slots: dict[str, str], rng: random.Random) -> str:
    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key in slots:
            return slots[key]
        return rng.choice(FILL[key])

    return re.sub(r"\{(\w+)\}", sub, template)


def english_event(rng: random.Random, n: int) -> dict[str, object]:
    city, country = PLACES[n % len(PLACES)] if n < len(PLACES) else rng.choice(PLACES)
    topic = TOPICS[rng.randrange(len(TOPICS))]
    people = rng.sample([f"{f} {n}" for f in FIRST for n in LAST], 3)
    roles = rng.sample(ROLES, 3)

    fig2, year = str(rng.randrange(120, 950)), str(rng.randrange(1998, 2021))
    money = f"{rng.randrange(12, 480)} million euros"

    def quote_of(k: int) -> str:
        out = []
        for core in rng.sample(QUOTE_CORE, k):
            text = f"{rng.choice(QUOTE_OPEN)} {core}{rng.choice(QUOTE_TAIL)}"
            text = text.format(
                topic=topic[0], city=city, country=country, n=rng.randrange(2, 60),
                day=rng.choice(DAYS), year=year, money=money, group=topic[2],
                figure2=fig2, role=rng.choice(ROLES),
            )
            out.append(text[0].upper() + text[1:])
        return " ".join(out)

    return {
        "city": city,
        "country": country,
        "topic": topic,
        "people": people,
        "roles": roles,
        "figure1": f"{rng.randrange(2, 90)},{rng.randrange(100, 999)}",
        "figure2": fig2,
        "figure3": str(rng.randrange(40, 119)),
        "money": money,
        "year": year,
        "org": rng.choice(
            [
                "the interior ministry",
                "the national statistics office",
                f"the {city} city council",
                "the Red Cross",
                "the emergency services",
                "the state energy company",
                "the chamber of commerce",
            ]
        ),
        "quote": quote_of(4),
        "quote2": quote_of(2),
    }


def english_article(
    ev: dict[str, object], rng: random.Random, writer: int
) -> tuple[str, list[str]]:
    topic = ev["topic"]
    assert isinstance(topic, tuple)
    people = ev["people"]
    roles = ev["roles"]
    assert isinstance(people, list)
    assert isinstance(roles, list)
    a1, a2 = rng.sample(people, 2)
    r1, r2, r3 = rng.sample(roles, 3)
    np_ = rng.choice([topic[1], f"the {topic[0]}"])
    slots = {
        "Actor1": a1,
        "Actor2": a2,
        "role1": r1,
        "role2": r2,
        "role3": r3,
        "pronoun2": rng.choice(["he", "she"]),
        "topic_np": np_,
        "topic_np_cap": np_[0].upper() + np_[1:],
        "group": topic[2],
        "group_cap": topic[2][0].upper() + topic[2][1:],
        "region": topic[3],
        "city": str(ev["city"]),
        "country": str(ev["country"]),
        "org": str(ev["org"]),
        "org_cap": str(ev["org"])[0].upper() + str(ev["org"])[1:],
        "figure1": str(ev["figure1"]),
        "figure2": str(ev["figure2"]),
        "figure3": str(ev["figure3"]),
        "money": str(ev["money"]),
        "year": str(ev["year"]),
        "day": rng.choice(DAYS),
        "day2": rng.choice(DAYS),
        "month": rng.choice(MONTHS),
        "topic": topic[0],
        "Topic": topic[0].capitalize(),
        "country_cap": str(ev["country"])[0].upper() + str(ev["country"])[1:],
    }
    # independent writers: each article of an event draws from its own share of templates
    own = [t for i, t in enumerate(BODY) if i % 3 == writer % 3]
    body = rng.sample(own, min(len(own), rng.randrange(8, 11)))
    quote_line = _fill(rng.choice(QUOTE_INTRO), {**slots, "quote": str(ev["quote"])}, rng)
    body.insert(rng.randrange(1, 4), "\x00")
    sentences = [_fill(rng.choice(LEDES[writer % 3 :: 3]), slots, rng)]
    for t in body:
        sentences.append(quote_line if t == "\x00" else _fill(t, slots, rng))
    if rng.random() < 0.4:
        sentences.insert(rng.randrange(4, len(sentences)), f'"{ev["quote2"]}" {a2} added.')
    paragraphs: list[str] = []
    i = 0
    while i < len(sentences):
        k = rng.choice([1, 1, 2, 2, 3])
        paragraphs.append(" ".join(sentences[i : i + k]))
        i += k
    title = _fill(rng.choice(HEADLINES), slots, rng)
    return title, paragraphs


def cyrillic_event(pool: dict[str, object], rng: random.Random) -> dict[str, object]:
    names = pool["names"]
    roles = pool["roles"]
    parts = pool["quote_parts"]
    assert isinstance(names, list)
    assert isinstance(roles, list)
    assert isinstance(parts, list)
    city = rng.choice(pool["cities"])  # type: ignore[arg-type]
    district = rng.choice(pool["districts"])  # type: ignore[arg-type]
    year = str(rng.randrange(1998, 2021))
    q = []
    for core in rng.sample(pool["quote_core"], 3):  # type: ignore[arg-type]
        text = f"{rng.choice(pool['quote_open'])} {core}{rng.choice(pool['quote_tail'])}"  # type: ignore[arg-type]
        text = text.format(c=city, n=rng.randrange(2, 60), y=year, d=district)
        q.append(text[0].upper() + text[1:])
    return {
        "people": rng.sample(names, 2),
        "roles": rng.sample(roles, 2),
        "city": city,
        "topic": rng.choice(pool["topics"]),  # type: ignore[arg-type]
        "f1": str(rng.randrange(1200, 9000)),
        "f2": str(rng.randrange(9000, 20000)),
        "m": f"{rng.randrange(20, 900)} млн",
        "quote": " ".join(q),
    }


def cyrillic_article(
    pool: dict[str, object], ev: dict[str, object], rng: random.Random, writer: int
) -> tuple[str, list[str]]:
    people, roles = ev["people"], ev["roles"]
    assert isinstance(people, list)
    assert isinstance(roles, list)
    a1, a2 = people if rng.random() < 0.5 else people[::-1]
    slots = {
        "a1": a1,
        "a2": a2,
        "r1": roles[0],
        "r2": roles[1],
        "c": str(ev["city"]),
        "t": str(ev["topic"]),
        "f1": str(ev["f1"]),
        "f2": str(ev["f2"]),
        "m": str(ev["m"]),
        "day": rng.choice(pool["days"]),
        "turn": rng.choice(pool["turn"]),  # type: ignore[arg-type]
        "n1": str(rng.randrange(3, 60)),
        "n2": str(rng.randrange(100, 900)),
        "d": rng.choice(pool["districts"]),
    }  # type: ignore[arg-type]

    def fill(t: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: slots[m.group(1)], t)

    own = [t for i, t in enumerate(pool["body"]) if i % 2 == writer]  # type: ignore[arg-type]
    body = rng.sample(own, len(own))
    sentences = [fill(rng.choice(pool["ledes"][writer::2]))]  # type: ignore[index]
    sentences += [fill(t) for t in body]
    intro = rng.choice(pool["quote_intro"])  # type: ignore[arg-type]
    sentences.insert(
        rng.randrange(1, 4), intro.replace("{q}", str(ev["quote"])).replace("{a1}", a1)
    )
    paragraphs = [" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)]
    title = f"{slots['c']}: {slots['t']} - {slots['a1']}"
    return title, paragraphs


# ---------------------------------------------------------------- copy transforms
def edit_words(text: str, rng: random.Random, share: float) -> str:
    tokens = text.split(" ")
    n = max(1, round(len(tokens) * share))
    for _ in range(n):
        i = rng.randrange(len(tokens))
        w = tokens[i]
        core = w.strip('.,"')
        choice = rng.random()
        if core in SYNONYMS:
            tokens[i] = w.replace(core, SYNONYMS[core])
        elif choice < 0.4 and len(core) > 3 and not w.endswith((".", '"')):
            tokens[i] = ""
        elif choice < 0.7:
            tokens[i] = w + " " + rng.choice(["also", "now", "reportedly", "again", "still"])
        else:
            tokens[i] = w.replace(core, core.upper() if core.isdigit() else core)
    return re.sub(" +", " ", " ".join(tokens)).strip()


def respell(text: str, to_us: bool) -> str:
    for uk, us in SPELL:
        a, b = (uk, us) if to_us else (us, uk)
        text = re.sub(rf"\b{a}", b, text)
        text = re.sub(rf"\b{a.capitalize()}", b.capitalize(), text)
    return text


def to_html(paragraphs: list[str], rng: random.Random) -> str:
    out = []
    for p in paragraphs:
        p = html.escape(p, quote=False)
        if rng.random() < 0.5:
            p = p.replace('"', "&#8220;", 1).replace('"', "&#8221;", 1)
        p = p.replace("'", "&#8217;")
        if rng.random() < 0.3:
            p = p.replace(" - ", " &mdash; ")
        out.append(f"<p>{p}</p>")
    extra = rng.choice(
        ["", '<div class="ad"><script>track()</script></div>', "<figure><img src=x></figure>"]
    )
    return "\n".join(out[:2]) + extra + "\n".join(out[2:])


def make_copy(
    orig: dict[str, object],
    paragraphs: list[str],
    lang: str,
    rng: random.Random,
    ev: dict[str, object],
) -> dict[str, object]:
    """A republished copy: a random mix of what syndicators really do."""
    src = str(orig["outlet"])
    outlet = rng.choice(SYNDICATORS)
    paras = list(paragraphs)
    kinds: list[str] = []
    title = str(orig["title"])
    summary_only = rng.random() < 0.18
    if summary_only:
        kinds.append("summary")
        first = " ".join(paras[:2])
        cut = rng.choice([160, 200, 260, 320, 10_000])
        text = first if len(first) <= cut else first[: first.rfind(" ", 0, cut)] + " …"
        paras = [text]
    else:
        if rng.random() < 0.35:
            kinds.append("cut")
            keep = max(3, round(len(paras) * rng.uniform(0.45, 0.85)))
            paras = paras[:keep]
        if lang == "en" and rng.random() < 0.5:
            kinds.append("edits")
            share = rng.uniform(0.01, 0.04)
            paras = [edit_words(p, rng, share) for p in paras]
        if lang == "en" and rng.random() < 0.4:
            kinds.append("spelling")
            paras = [respell(p, to_us=outlet.endswith((".com", ".us", ".net"))) for p in paras]
        if rng.random() < 0.35:
            kinds.append("related")
            rel = (
                f"Related: {rng.choice(NEW_HEADLINES).split(':')[0]} - more coverage"
                if lang == "en"
                else str((RU if lang == "ru" else UA)["footer"]).format(t=ev["topic"], c=ev["city"])
            )
            paras.insert(rng.randrange(1, max(2, len(paras))), rel)
        if rng.random() < 0.4:
            kinds.append("dateline")
            if lang == "en":
                credit = CREDITS.get(src, "AP")
                city = str(ev["city"]).upper()
                if credit in ("AP", "AFP"):
                    paras[0] = f"{city} ({credit}) — " + paras[0]
                else:
                    paras[0] = (
                        f"{city}, {rng.choice(MONTHS)[:3]} {rng.randrange(1, 29)} ({credit}) - "
                        + paras[0]
                    )
                if rng.random() < 0.6:
                    paras.insert(
                        0,
                        f"By {rng.choice(FIRST)} {rng.choice(LAST)}, Associated Press"
                        if credit == "AP"
                        else f"By {rng.choice(FIRST)} {rng.choice(LAST)}",
                    )
            else:
                pool = RU if lang == "ru" else UA
                paras[0] = (
                    str(pool["dateline"]).format(C=str(ev["city"]).upper(), d=rng.randrange(1, 29))
                    + paras[0]
                )
    if rng.random() < 0.5 or src == "rt.com":
        kinds.append("footer")
        if src == "rt.com" or rng.random() < 0.4:
            paras.append(
                f"This content is courtesy of, and owned and copyrighted by, https://www.{src} and its "
                "author. This content is made available by use of the public RSS feed offered by the "
                "host site and is used for educational purposes only. If you are the author or "
                f"represent the host site and would like this content removed now and in the future, "
                f"please contact {outlet} using the email address in the Contact page found in the "
                "website menu."
            )
        elif src == "apnews.com":
            paras.append(
                "Copyright 2026 The Associated Press. All rights reserved. This material may "
                "not be published, broadcast, rewritten or redistributed without permission."
            )
        else:
            paras.append(f"The post {title} appeared first on {src}.")
    if outlet in SIGN_OFFS:
        kinds.append("signoff")
        paras.append(SIGN_OFFS[outlet])
    if rng.random() < 0.5 and not summary_only:
        kinds.append("headline")
        title = rng.choice(NEW_HEADLINES).format(
            Topic=str(ev["topic"] if lang != "en" else ev["topic"][0]).capitalize(),  # type: ignore[index]
            topic=ev["topic"] if lang != "en" else ev["topic"][0],  # type: ignore[index]
            city=ev["city"],
            country=ev.get("country", ""),
            Actor1=ev["people"][0],
        )  # type: ignore[index]
    if rng.random() < 0.6:
        kinds.append("html")
        content = to_html(paras, rng)
    else:
        content = "\n\n".join(paras)
    return {"outlet": outlet, "title": title, "content": content, "copy_kinds": kinds}


def build(seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    items: list[dict[str, object]] = []
    story_n = 0
    clock = 1_764_000_000.0

    def add_story(
        lang: str, ev_id: str, title: str, paras: list[str], ev: dict[str, object]
    ) -> None:
        nonlocal story_n, clock
        story_n += 1
        sid = f"s{story_n:04d}"
        outlet = rng.choice(
            ORIGINAL_OUTLETS
            if lang == "en"
            else ["tass.ru", "ria.ru", "ukrinform.ua", "interfax.ru"]
        )
        clock += rng.uniform(60, 900)
        at = clock
        use_html = rng.random() < 0.5
        body = to_html(paras, rng) if use_html else "\n\n".join(paras)
        orig: dict[str, object] = {
            "id": f"{sid}-0",
            "story": sid,
            "event": ev_id,
            "kind": "original",
            "lang": lang,
            "outlet": outlet,
            "link": f"https://www.{outlet}/news/{story_n}-{ev_id}",
            "guid": f"{outlet}:{story_n}",
            "title": title,
            "content": body,
            "summary": " ".join(paras[:1])[:300],
            "at": at,
        }
        items.append(orig)
        n_copies = rng.choices([0, 1, 2, 3], weights=[2, 4, 3, 2])[0]
        for c in range(1, n_copies + 1):
            copy = make_copy(orig, paras, lang, rng, ev)
            early = rng.random() < 0.1
            items.append(
                {
                    "id": f"{sid}-{c}",
                    "story": sid,
                    "event": ev_id,
                    "kind": "copy",
                    "lang": lang,
                    "outlet": copy["outlet"],
                    "link": f"https://{copy['outlet']}/{rng.randrange(10**6)}/{ev_id}-{c}",
                    "guid": None,
                    "title": copy["title"],
                    "content": copy["content"],
                    "summary": "",
                    "copy_kinds": copy["copy_kinds"],
                    "at": at - rng.uniform(1, 300) if early else at + rng.uniform(60, 36 * 3600),
                }
            )

    for e in range(62):
        ev = english_event(rng, e)
        for writer in range(rng.choice([2, 2, 3, 3, 3])):
            title, paras = english_article(ev, rng, writer)
            add_story("en", f"en{e:03d}", title, paras, ev)
    for lang, pool, n in (("ru", RU, 9), ("uk", UA, 7)):
        for e in range(n):
            ev = cyrillic_event(pool, rng)
            for writer in range(2):
                title, paras = cyrillic_article(pool, ev, rng, writer)
                add_story(lang, f"{lang}{e:03d}", title, paras, ev)
    items.sort(key=lambda it: float(it["at"]))  # type: ignore[arg-type]
    return items


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    items = build(args.seed)
    with OUT.open("w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
    kinds = {k: sum(1 for it in items if it["kind"] == k) for k in ("original", "copy")}
    langs = {k: sum(1 for it in items if it["lang"] == k) for k in ("en", "ru", "uk")}
    print(f"wrote {len(items)} items to {OUT}: {kinds} {langs}")


if __name__ == "__main__":
    main()
