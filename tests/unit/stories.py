# ruff: noqa: E501
"""Articles written for the story identity tests (our own text, in the style of wire copy)."""

from __future__ import annotations

QUOTE = (
    "We are not going to sign anything that leaves our farmers without a market and our ports "
    "without ships. The corridor has to work for everyone or it will not work at all, and we "
    "have made that clear to every partner at this table, including those who would prefer "
    "that we stay quiet about the terms of this deal and about who pays for it."
)

ORIGINAL = [
    "Moscow and Ankara are close to agreement on a new grain corridor, the Russian foreign minister has said",
    "Russian Foreign Minister Sergey Lavrin has said that talks in Istanbul on reopening the Black Sea "
    "grain corridor are close to a result, adding that the sides have narrowed their differences on "
    "insurance and inspections.",
    "The negotiations, which lasted more than six hours on Thursday, were the first direct meeting of "
    "the delegations since the previous arrangement collapsed in July.",
    "Speaking to reporters after the session, Lavrin described the atmosphere as \u201cbusinesslike and "
    "quite constructive.\u201d",
    "\u201cWe discussed the route, the inspections and the payments for our exporters, and on most of "
    "these points there is now an understanding,\u201d he said.",
    "According to the minister, Moscow still insists that sanctions on its agricultural bank be lifted "
    "before ships can sail under the new scheme, a demand that Western capitals have so far rejected.",
    "Turkish officials said a technical group would meet again next week to draft the text, and that "
    "they hoped to present it to both presidents before the end of the month.",
    "Kiev has not commented on the talks, though its officials have previously said they would not "
    "accept any deal negotiated without them.",
    "Grain prices in Chicago fell by nearly two percent on Friday on reports of progress in Istanbul.",
    "The original corridor allowed more than 30 million tonnes of grain to leave Ukrainian ports before "
    "Moscow withdrew, citing unfulfilled promises on its own exports.",
]

FOOTER = (
    "This content is courtesy of, and owned and copyrighted by, https://www.rt.com and its author. "
    "This content is made available by use of the public RSS feed offered by the host site and is "
    "used for educational purposes only. If you are the author or represent the host site and would "
    "like this content removed now and in the future, please contact USSANews.com using the email "
    "address in the Contact page found in the website menu."
)

# Two articles written independently about one event: same names, figures and the same
# long quote, different everything else.
QUOTED_A = [
    "Ukraine's agriculture minister Oksana Hryhorenko on Wednesday rejected a draft grain deal "
    "circulated by Turkish mediators, saying it gave too much away to Moscow.",
    f"\u201c{QUOTE}\u201d Hryhorenko told a news conference in Odesa.",
    "The draft, seen by several news agencies, would allow Russian inspectors to check ships bound for "
    "Odesa and Chornomorsk, a condition Kyiv has repeatedly called unacceptable.",
    "Exporters say more than 4 million tonnes of grain are waiting in silos along the coast, and "
    "storage is running out ahead of the new harvest.",
    "Hryhorenko said she had asked the European Commission to help pay for insurance on the route, "
    "which has been disrupted by drone and missile attacks on port infrastructure since the summer.",
    "A spokesman for the Turkish foreign ministry said the text was only a basis for discussion and "
    "that the mediators would continue to meet both sides separately.",
]
QUOTED_B = [
    "Farmers' unions in southern Ukraine staged protests outside regional offices on Thursday, a day "
    "after the government turned down a proposed agreement on Black Sea shipping.",
    "Many of them carried placards quoting minister Oksana Hryhorenko, whose words at Wednesday's "
    f"briefing were repeated on television throughout the evening: \u201c{QUOTE}\u201d",
    "Union leader Petro Sydorenko said his members supported the minister but could not wait much "
    "longer, with 4 million tonnes of grain stuck in Odesa and Chornomorsk.",
    "Several farms near Mykolaiv have already stopped buying fuel and fertiliser for the spring, he said.",
    "Economists in Kyiv warned that every month of delay costs the sector several hundred million "
    "dollars in lost sales and pushes smaller producers toward bankruptcy.",
    "The protesters dispersed peacefully in the afternoon after officials promised a meeting with "
    "the ministry next week.",
]

CYRILLIC = [
    "Губернатор Мурманской области Андрей Соколов заявил в четверг, что ситуация с отключением "
    "электричества в Заречном районе стабилизировалась.",
    "По его словам, без света остаются около 2300 домов, но к вечеру пятницы энергетики рассчитывают "
    "восстановить подачу электроэнергии полностью.",
    "«Все аварийные бригады работают круглосуточно, дополнительная техника прибыла из соседних "
    "регионов», — сказал Соколов журналистам.",
    "Причиной аварии стал обрыв линии электропередачи после сильного снегопада и штормового ветра.",
    "В школах района отменены занятия, в администрации открыты пункты обогрева для жителей.",
    "Прокуратура начала проверку готовности сетевой компании к работе в зимних условиях.",
    "Ущерб предварительно оценивается в 140 млн рублей.",
]
