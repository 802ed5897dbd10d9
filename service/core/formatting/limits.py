"""Platform limits, in one place; every length is in UTF-16 code units (see markup)."""

from __future__ import annotations

# Slack Block Kit (https://docs.slack.dev/reference/block-kit/blocks)
SLACK_HEADER_MAX = 150  # header block, plain_text
SLACK_SECTION_MAX = 3000  # section block, text object
SLACK_CONTEXT_MAX = 3000  # one context element
SLACK_FALLBACK_MAX = 1000  # top-level `text`: title (300) and outlets (500); notifications show it
SLACK_TITLE_IN_SECTION_MAX = 300  # the linked title above the snippet
SLACK_LINK_MAX = 2000  # longer links are not linked rather than risk a cut URL

# Discord embeds (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
DISCORD_TITLE_MAX = 256
DISCORD_DESCRIPTION_MAX = 4096
DISCORD_FIELD_NAME_MAX = 256
DISCORD_FIELD_VALUE_MAX = 1024
DISCORD_FOOTER_MAX = 2048
DISCORD_FIELDS_MAX = 25
DISCORD_EMBED_TOTAL_MAX = 6000  # title + description + field names and values + footer + author
DISCORD_URL_MAX = 2048

# Microsoft Teams, Workflows webhook with an Adaptive Card
TEAMS_MESSAGE_MAX_BYTES = 28 * 1024  # the whole serialised envelope
TEAMS_TITLE_MAX = 500
TEAMS_SNIPPET_MAX = 3000
TEAMS_CONTEXT_ITEM_MAX = 500
TEAMS_URL_MAX = 2048

# Generic webhook: no platform limit, but receivers deserve bounded payloads.
WEBHOOK_TITLE_MAX = 1000
WEBHOOK_SNIPPET_MAX = 10_000

# Console
CONSOLE_TITLE_MAX = 200
