"""Sample stories written for feedwatch's demo and tests (not real articles).

Modelled on the case that started the project: a wire story and a syndicated copy
that appends a courtesy footer, plus an unrelated story and a NATO story.
"""

from __future__ import annotations

ORIGINAL_TITLE = "Envoys report progress toward a ceasefire after talks in Geneva"
ORIGINAL_BODY = """\
<p>Negotiators from both sides said on Tuesday that two days of talks in Geneva had
brought a ceasefire &ldquo;within reach&rdquo;, although several questions remain open.</p>
<p>The meeting, which lasted almost nine hours, was the first direct contact between the
delegations since the fighting escalated in the spring.</p>
<p>&ldquo;The discussion was long, detailed and, in our view, useful,&rdquo; the lead envoy
told reporters outside the venue. &ldquo;We agreed on the sequence of the next steps.&rdquo;</p>
<p>According to the envoy, the parties discussed a staged withdrawal of heavy weapons, the
exchange of prisoners and the return of civilians to frontline villages.</p>
<p>Observers cautioned that earlier rounds had produced similar statements without a lasting
truce, and that the question of international monitors is still unresolved.</p>
<p>A second round is expected within a month, the organisers said, adding that technical
teams would meet in the meantime to draft a text both capitals could sign.</p>"""

COPY_FOOTER = (
    "<p>This content is courtesy of, and owned and copyrighted by, https://www.wirenews.example "
    "and its author. This content is made available by use of the public RSS feed offered by "
    "the host site and is used for educational purposes only. If you are the author or "
    "represent the host site and would like this content removed now and in the future, "
    "please contact Aggregator.example using the email address in the Contact page.</p>"
)
COPY_BODY = ORIGINAL_BODY + "\n" + COPY_FOOTER

UNRELATED_TITLE = "City council approves a new tram line to the harbour district"
UNRELATED_BODY = """\
<p>The city council voted on Monday to build a four-kilometre tram line linking the central
station with the harbour district, ending a debate that had lasted more than a decade.</p>
<p>Construction is due to start next year and the first trams should run by the end of
the following summer, the transport department said.</p>
<p>Shopkeepers along the route welcomed the decision but asked for compensation during the
months of roadworks.</p>"""

NATO_TITLE = "NATO defence ministers agree to expand air-policing mission"
NATO_BODY = """\
<p>NATO defence ministers agreed on Thursday to add two squadrons to the alliance's
air-policing mission over the Baltic states, officials said after a meeting in Brussels.</p>
<p>The extra aircraft will rotate through bases in the region from the spring, and member
states will share the cost of fuel and maintenance.</p>
<p>The secretary general said the decision reflected &ldquo;a changed security
environment&rdquo; and would be reviewed at the summit in the summer.</p>"""
