"""Seeded demo world for early-adopter targeting: ``python -m targeting.demo``.

Writes the four raw input tables (users, events, connections, adoptions), the optional
fifth (campaign_assignments) and a ``manifest.json`` that is the ground truth for the
warehouse's data-quality counts and for the campaigns' effects.
Same arguments give byte-identical files: every random draw comes from a numpy
generator seeded with ``(seed, role, index)`` (a fixed day or table index, never
the clock or the memory size), and events are written day by day.

Generative story
================
Time runs over the window ``[end_date - days, end_date)`` (UTC). Day ``d`` is the
calendar day ``start_date + d``.

Users and teams
    About 35% of the users signed up before the window (up to a year earlier); the
    rest sign up inside it with growth (density rising ~3x from start to end). About
    55% are B2B users in teams of 2-30 that share an industry, a company-size band,
    a country and mostly a plan; teammates sign up a few weeks after the team's
    first member. The others are B2C solo users (``team_id`` null). Each user has
    demographics (country, industry, job title, company size, birth year, plan),
    each missing at random in 5-15% of the rows (the simulation still uses the true
    value), and latent traits: an engagement level (sessions per day, lognormal), a
    session depth, a trend (activity rising or decaying over time), a share of
    feature use among their events, a purchase propensity and an affinity over ten
    named features (reports, dashboards, export, sharing, alerts, api, integrations,
    automation, comments, templates) tilted by job title.

Social graph
    Undirected edges with homophily: most within teams, then within an industry,
    then random. An edge forms after both users signed up (and inside the window),
    mostly soon after the later signup. Bots have no edges.

Events
    Per user-day the number of sessions is Poisson(engagement x weekday rhythm
    (weekdays heavier) x trend x occasional 3x bursts), at most 6. A session holds
    3-40 events with gaps of 1 s-10 min (lognormal, median ~20 s); the sessions of a
    user-day are placed by a diurnal profile (business hours peak), never overlap and
    are separated by more than 30 minutes; all activity of a day ends by 23:29:59, so
    consecutive days are also 30+ minutes apart. A session starts with a login 45% of
    the time; the other events are page views, clicks and scrolls (with a page),
    searches (with a query category), feature uses (a feature drawn from the user's
    affinity) and rare purchases (a plan/sku with lognormal revenue). Device is mostly
    the user's main device; the user agent is a realistic browser string for it.
    Because at most two sessions (<= 80 events) can touch one clock hour, no human
    user ever exceeds 200 events in a clock hour (the warehouse's bot rule is > 400).

Products and adoption
    Each product relates to three features. Every day ``d`` each eligible user (signed
    up before day ``d``, not a bot, not yet an adopter) adopts product ``p`` with
    probability ``1 - exp(-exp(logit))`` where ``logit`` only uses information up to
    the end of day ``d - 1`` (the world is causal)::

        logit = base_p                                  # product base rate
              + demographics_p(industry, plan, company size, job title, in a team)
              + N(0, 0.8) per user x product            # unobserved taste
              + 0.675 log1p(related-feature uses, 14-day half-life)
              + 0.525 clip(log(7-day / 28-day activity rate))   # rising activity
              + 0.825 log1p(connections that adopted p)         # social contagion
              + 0.675 log1p(teammates that adopted p)
              + 0.75 log1p(recent purchases) + 0.12 log1p(recent revenue)   # RFM
              + sweet_p exp(-((a - 0.5) / 0.25)^2)     # ai_assistant only, sweet_p = 2.5

    where ``a = log1p(daily events, 28-day half-life)``. The last term is the planted
    non-linear signal: ``ai_assistant`` appeals most to moderately active users, less to
    both the inactive and the power users, a bump that no model linear in the
    features can draw (a tree model can). No single observable gives adoption away: it
    needs several moderate effects and carries noise. A handful of early adopters per
    product (weighted by their static propensity) adopt on day 0 and seed the
    contagion. After adopting, a user uses the product's related features more
    (affinity x1.6, feature-use share x1.25).
    ``api_access`` is the cold-start product: a tiny base rate and few seeds.
    ``--signal s`` (default 1) multiplies every behavioral and social term above (all but
    the base rate, the demographics and the taste) by ``s``: worlds where what users do
    says more or less about what they will adopt (``make bench-quality`` uses several).

Campaigns
    Three campaigns (``CAMPAIGNS``) run near the end of the window, one per product:
    ``pro_reports_email`` (analytics_pro, 40 days before the end date, planted effect
    0.05), ``workspace_webinar`` (team_workspace, 35 days, 0.03) and ``assistant_banner``
    (ai_assistant, 30 days, no effect at all). Each is assigned at the start of its day
    to a random 15% of the humans signed up before that day who have not adopted its
    product, sent in one batch (an hour of the diurnal profile); a random 10% of them
    are the holdout. The effect is the chance that a contacted user adopts because of
    the campaign, on a day 1-27 days after the assignment (unless they adopted by
    themselves first); an adoption it causes counts like any other (teammates and
    connections feel it, and it is in the warehouse's labels). The manifest's
    ``campaigns`` holds, per campaign, the arms (users who adopted before their
    assignment left out, as the warehouse does), the planted effect, the adoptions it
    caused and the true uplift within 28 days: ``effect x (1 - baseline)``, the baseline
    being the adoption rate of the contacted users it did not act on (they are, by
    randomization, like the holdout). A campaign whose day falls before the window, or
    whose product is not generated, does not run; ``campaigns=False`` (``--no-campaigns``)
    runs none. Campaigns change nothing before their day (tested).

Bots
    About 0.5% of the users (at least 3) are bots: real rows in users (signed up
    before the window), no edges, no adoptions. Half browse at a human pace but every
    event carries a bot user agent (Googlebot, python-requests, HeadlessChrome, curl,
    Scrapy, ...); the other half use normal browser agents but burst for 2-3 hours on
    1-2 days with an event every 2-6 seconds (600+ events in a clock hour).

Dirty rows
    Injected in addition to the clean rows; every dirty row carries exactly one issue
    (codes in ``ISSUE_CODES``, in the warehouse's precedence order) and otherwise
    looks clean: dirty events are copies of sampled clean events (fresh ids, times
    nudged by 1-120 s) with one field broken, duplicates are exact copies, unknown
    users have ids that appear nowhere in users. Counts are proportional to the table
    sizes (users 0.2%, events ~0.1%, connections 0.2%, adoptions 0.5%, campaign
    assignments 0.2% per kind) and at least 1 of each kind. Clean ``signup_at`` may
    precede the window; every other clean timestamp lies inside it, and dirty
    timestamps too unless future/unparseable.

Files and manifest
    ``<table>.parquet`` (zstd) or ``<table>.csv`` (header, comma, empty = null); every
    timestamp is a ``YYYY-MM-DD HH:MM:SS`` string. ``manifest.json`` holds ``params``,
    ``files``, ``rows`` (rows written per table), ``dq_issues`` (per table ``clean``
    plus every issue code, summing to ``rows``) and ``products`` (``adopters``: clean
    adopters, ``early_adopters``: the day-0 seeds, ``related_features``,
    ``cold_start``, ``mean_28d_adoption_rate``: adopters in ``[d, d+28)`` / humans
    eligible at ``d``, averaged over the whole 28-day windows from the window start) and
    ``campaigns`` (above). ``campaign_assignments`` is written when a campaign ran.

Size and calibration (defaults: ``--users 20000 --days 270``)
    About 3.0M events (~135 per human user plus ~8% bot traffic), 40k connections, 6k
    adoptions and 7k campaign assignments in 4-9 s on 2 cores. Mean 28-day adoption
    rates: analytics_pro ~2.2%, team_workspace ~1.8%, ai_assistant ~1.4%; the cold-start
    ``api_access`` ends with 34-43 adopters (seeds 1-5, 7 and 42). Rates do not depend
    on the size; 1,000,000 users give ~150M events in ~6 minutes with a 1.5 GB peak
    (state is per-user numpy vectors, events are generated and written one day at a
    time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

# --- Time and volume --------------------------------------------------------------------
DAY_S = 86_400
LAST_ACTIVE_SOD = 23 * 3600 + 29 * 60 + 59  # a day's sessions end by 23:29:59
SESSION_SEPARATION_S = 1_801  # > 30 min between the sessions of one user
MAX_SESSIONS_PER_DAY = 6
MIN_SESSION_EVENTS = 3
MAX_SESSION_EVENTS = 40
MAX_EVENT_GAP_S = 600
LOGIN_SHARE = 0.45
BURST_PROBABILITY = 0.03
BURST_FACTOR = 3.0
PRE_WINDOW_SHARE = 0.35
TEAM_SHARE = 0.55
BOT_SHARE = 0.005
ROW_GROUP_ROWS = 1 << 20
WINDOW_DAYS = 28
MIN_USERS, MAX_USERS = 100, 5_000_000
MIN_DAYS, MAX_DAYS = 28, 3_650
FORMATS = ("parquet", "csv")
DEFAULT_END_DATE = "2026-10-31"  # fixed, so the output never depends on the clock

# Dirty rows per clean row of the table (at least one of every kind).
DIRTY_USERS_RATE = 0.002
DIRTY_EVENTS_PER_USER = 0.15  # ~0.1% of the events per kind
DIRTY_CONNECTIONS_RATE = 0.002
DIRTY_ADOPTIONS_RATE = 0.005

# --- Hazard coefficients (see the module docstring) ------------------------------------
B_BEHAVIOR = 0.675
B_TREND = 0.525
B_SOCIAL = 0.825
B_TEAM = 0.675
B_RECENCY = 0.75
B_MONETARY = 0.12
TASTE_SD = 0.8
# ai_assistant's non-linear term: a bump in log1p(daily events, 28-day half-life).
SWEET_SPOT_CENTER = 0.5
SWEET_SPOT_WIDTH = 0.25
FEATURE_HALF_LIFE_D = 14.0
PURCHASE_HALF_LIFE_D = 30.0
SHORT_HALF_LIFE_D = 7.0
LONG_HALF_LIFE_D = 28.0
ADOPTION_AFFINITY_BOOST = 1.6
ADOPTION_FEATURE_SHARE_BOOST = 1.25

# --- Vocabularies -----------------------------------------------------------------------
EVENT_TYPES = ("page_view", "click", "search", "login", "feature_use", "scroll", "purchase")
(PAGE_VIEW, CLICK, SEARCH, LOGIN, FEATURE_USE, SCROLL, PURCHASE) = range(7)
# Non-login event types drawn inside a session (mix: TYPE_WEIGHTS + per-user shares).
SESSION_TYPES = np.array([PAGE_VIEW, CLICK, SEARCH, FEATURE_USE, SCROLL, PURCHASE])
FEATURES = (
    "reports", "dashboards", "export", "sharing", "alerts", "api", "integrations",
    "automation", "comments", "templates",
)  # fmt: skip
PAGES = (
    "home", "dashboard", "reports", "settings", "billing", "pricing", "docs",
    "integrations", "team", "profile", "templates", "help", "changelog", "marketplace",
)  # fmt: skip
PAGE_WEIGHTS = (20, 16, 10, 5, 2, 3, 7, 4, 5, 4, 6, 5, 2, 3)
SEARCH_CATEGORIES = (
    "how_to", "billing", "reports", "dashboards", "integrations", "api", "export",
    "templates", "account", "troubleshooting",
)  # fmt: skip
SEARCH_WEIGHTS = (20, 5, 12, 10, 8, 6, 7, 9, 6, 10)
SKUS = ("pro_monthly", "pro_annual", "business_monthly", "seats_addon", "storage_addon")
SKU_MEDIAN_PRICE = np.array([29.0, 290.0, 99.0, 45.0, 15.0])
ITEMS = PAGES + FEATURES + SEARCH_CATEGORIES + SKUS
PAGE_OFFSET = 0
FEATURE_OFFSET = len(PAGES)
SEARCH_OFFSET = FEATURE_OFFSET + len(FEATURES)
SKU_OFFSET = SEARCH_OFFSET + len(SEARCH_CATEGORIES)
DEVICE_TYPES = ("desktop", "mobile", "tablet")
DEVICE_WEIGHTS = (0.62, 0.30, 0.08)
BROWSER_USER_AGENTS: dict[str, tuple[str, ...]] = {
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.4.1 Safari/605.1.15",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/123.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    ),
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.82 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.82 Mobile Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.82 Safari/537.36",
    ),
}
BOT_USER_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "python-requests/2.31.0",
    "Python-urllib/3.11",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.6099.109 Safari/537.36",
    "curl/8.4.0",
    "Wget/1.21.4",
    "Scrapy/2.11.0 (+https://scrapy.org)",
    "Go-http-client/1.1",
    "okhttp/4.12.0",
    "Java/17.0.9",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
)
# Mirrors seeds/bot_user_agent_patterns.csv (case-insensitive substrings).
BOT_USER_AGENT_PATTERNS = (
    "bot", "crawler", "spider", "headless", "phantomjs", "python-requests",
    "python-urllib", "curl/", "wget/", "scrapy", "go-http-client", "okhttp", "java/",
)  # fmt: skip
USER_AGENTS = tuple(ua for d in DEVICE_TYPES for ua in BROWSER_USER_AGENTS[d]) + BOT_USER_AGENTS
DEVICE_UA_START = np.cumsum([0] + [len(BROWSER_USER_AGENTS[d]) for d in DEVICE_TYPES])[:-1]
DEVICE_UA_COUNT = np.array([len(BROWSER_USER_AGENTS[d]) for d in DEVICE_TYPES])
BOT_UA_START = sum(len(v) for v in BROWSER_USER_AGENTS.values())
HOURLY_WEIGHTS = np.array(
    [1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.0, 2.0, 4.0, 6.0, 7.0, 7.0,
     6.0, 7.0, 7.0, 6.0, 5.0, 4.0, 3.0, 3.0, 2.5, 2.0, 1.6, 1.2]
)  # fmt: skip
WEEKDAY_FACTORS = np.array([1.15, 1.2, 1.2, 1.15, 1.0, 0.45, 0.4])  # Monday first

COUNTRIES = ("US", "GB", "DE", "FR", "IN", "BR", "CA", "AU", "NL", "ES", "JP", "SE")
COUNTRY_WEIGHTS = (30, 10, 9, 7, 10, 6, 6, 4, 4, 5, 5, 4)
INDUSTRIES = (
    "software", "finance", "healthcare", "retail", "education", "manufacturing",
    "media", "consulting", "government", "nonprofit",
)  # fmt: skip
INDUSTRY_WEIGHTS = (22, 12, 9, 11, 9, 8, 8, 10, 5, 6)
JOB_TITLES = (
    "Software Engineer", "Data Analyst", "Product Manager", "Marketing Manager",
    "Founder", "Designer", "Sales Representative", "Operations Manager", "Consultant",
    "Student", "CTO", "Data Scientist", "Customer Success Manager", "Freelancer",
)  # fmt: skip
B2B_TITLE_WEIGHTS = (16, 12, 10, 9, 4, 6, 8, 8, 6, 1, 3, 6, 6, 1)
B2C_TITLE_WEIGHTS = (10, 6, 3, 5, 8, 9, 3, 2, 10, 20, 1, 4, 2, 17)
# Job titles tilt the feature affinity (multiplier per feature).
TITLE_AFFINITY: dict[str, dict[str, float]] = {
    "Software Engineer": {"api": 3.0, "integrations": 2.5, "automation": 2.0},
    "Data Analyst": {"reports": 3.0, "dashboards": 3.0, "export": 2.5},
    "Product Manager": {"dashboards": 2.0, "sharing": 2.0, "comments": 2.5},
    "Marketing Manager": {"templates": 3.0, "reports": 2.0, "sharing": 1.5},
    "Founder": {"dashboards": 2.0, "alerts": 2.0, "automation": 1.5},
    "Designer": {"templates": 2.5, "comments": 2.5, "sharing": 2.0},
    "Sales Representative": {"reports": 2.0, "alerts": 2.0, "export": 1.5},
    "Operations Manager": {"automation": 2.5, "alerts": 2.5, "integrations": 2.0},
    "Consultant": {"reports": 2.0, "export": 2.0, "templates": 2.0},
    "Student": {"templates": 2.0, "reports": 1.5},
    "CTO": {"api": 3.0, "integrations": 2.5, "alerts": 2.0},
    "Data Scientist": {"api": 2.5, "export": 3.0, "dashboards": 2.0},
    "Customer Success Manager": {"comments": 2.5, "sharing": 2.0, "alerts": 2.0},
    "Freelancer": {"templates": 2.0, "export": 2.0, "sharing": 1.5},
}
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-1000", "1000+")
B2B_SIZE_WEIGHTS = (15, 30, 25, 18, 12)
PLANS = ("free", "pro", "business", "enterprise")
PLAN_BY_SIZE = np.array(
    [
        [0.35, 0.50, 0.15, 0.00],
        [0.15, 0.45, 0.35, 0.05],
        [0.00, 0.30, 0.50, 0.20],
        [0.00, 0.00, 0.45, 0.55],
        [0.00, 0.00, 0.30, 0.70],
    ]
)
B2C_PLAN_WEIGHTS = (0.70, 0.25, 0.05, 0.0)
PLAN_ENGAGEMENT = np.array([0.8, 1.1, 1.25, 1.3])
PLAN_PURCHASE = np.array([0.5, 1.0, 1.5, 2.0])
SKU_BY_PLAN = np.array(
    [
        [0.60, 0.25, 0.05, 0.00, 0.10],
        [0.25, 0.25, 0.15, 0.15, 0.20],
        [0.05, 0.05, 0.40, 0.35, 0.15],
        [0.00, 0.00, 0.30, 0.50, 0.20],
    ]
)
FIRST_NAMES = (
    "anna", "ben", "carla", "david", "elena", "felix", "grace", "hugo", "ines", "jonas",
    "kira", "liam", "maya", "noah", "olivia", "paul", "quinn", "rosa", "sam", "tara",
    "umar", "vera", "will", "xena", "yusuf", "zoe", "aiko", "bruno", "chen", "divya",
)  # fmt: skip
LAST_NAMES = (
    "smith", "mueller", "garcia", "rossi", "kim", "patel", "nguyen", "silva", "dubois",
    "jansen", "novak", "tanaka", "lopez", "cohen", "berg", "okafor", "walsh", "ivanova",
    "schmidt", "moreau", "larsen", "costa", "sato", "khan", "reyes", "fischer",
)  # fmt: skip
COMPANY_WORDS = (
    "acme", "bright", "north", "blue", "atlas", "nimbus", "vertex", "cobalt", "lumen",
    "pioneer", "summit", "orbit", "harbor", "quartz", "maple", "falcon", "nova", "ember",
)  # fmt: skip
COMPANY_SUFFIXES = ("labs", "tech", "works", "group", "systems", "data", "cloud", "hq")
PERSONAL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com")
UNPARSEABLE_TIMESTAMPS = (
    "not a date",
    "2026-02-30 10:00:00",
    "31/12/2026 10:00",
    "2026-13-01 00:00:00",
    "2026-06-15 25:61:00",
    "yesterday",
    "0000-00-00 00:00:00",
)

ISSUE_CODES: dict[str, tuple[str, ...]] = {
    "users": (
        "null_user_id",
        "duplicate_user_id",
        "unparseable_signup_at",
        "future_signup_at",
        "bot_user",
    ),
    "events": (
        "null_event_id",
        "null_user_id",
        "null_event_type",
        "unparseable_occurred_at",
        "future_occurred_at",
        "negative_revenue",
        "duplicate_event_id",
        "unknown_user",
        "bot_user",
    ),
    "connections": (
        "null_user_id",
        "self_loop",
        "unparseable_connected_at",
        "future_connected_at",
        "duplicate_edge",
        "unknown_user",
    ),
    "adoptions": (
        "null_user_id",
        "null_product_id",
        "unparseable_adopted_at",
        "future_adopted_at",
        "duplicate_adoption",
        "unknown_user",
    ),
    "campaign_assignments": (
        "null_campaign_id",
        "null_user_id",
        "null_product_id",
        "null_assigned_at",
        "unparseable_assigned_at",
        "future_assigned_at",
        "unknown_arm",
        "duplicate_assignment",
        "unknown_user",
        "bot_user",
    ),
}
TABLES = ("users", "events", "connections", "adoptions")
# The optional fifth input, written when at least one campaign ran.
CAMPAIGN_TABLE = "campaign_assignments"
HAZARD_FILE = "hazards.parquet"  # the generator's truth for the quality benchmark, not an input
UNKNOWN_ARMS = ("control", "treatment", "email", "variant_b")


@dataclass(frozen=True)
class CampaignPlan:
    """One campaign of the demo world: who it reaches, when, and its planted effect."""

    campaign_id: str
    product_id: str
    days_before_end: int  # assigned on the day this many days before the end date
    audience_share: float  # of the users eligible for the product that day
    effect: float  # chance that the campaign makes a contacted user adopt


CAMPAIGNS: tuple[CampaignPlan, ...] = (
    CampaignPlan("pro_reports_email", "analytics_pro", 40, 0.15, 0.05),
    CampaignPlan("workspace_webinar", "team_workspace", 35, 0.15, 0.03),
    CampaignPlan("assistant_banner", "ai_assistant", 30, 0.15, 0.0),
)
CAMPAIGN_HOLDOUT_SHARE = 0.1
CAMPAIGN_HORIZON_DAYS = 28  # the warehouse's default label horizon
CAMPAIGN_RESPONSE_DAYS = 27  # a responding user adopts 1-27 days after the assignment day
DIRTY_CAMPAIGN_RATE = 0.002

# Random-stream roles: every generator is seeded with (seed, role, index).
ROLE_USERS, ROLE_EDGES, ROLE_SEEDS, ROLE_BOTS, ROLE_DAY, ROLE_DIRTY, ROLE_CAMPAIGN = range(7)


@dataclass(frozen=True)
class Product:
    """One product: its related features and the static part of its adoption hazard."""

    product_id: str
    related_features: tuple[str, ...]
    base_logit: float
    seed_share: float
    cold_start: bool = False
    team_effect: float = 0.0
    # Height of a bump in the hazard for moderately active users (0 = none): a signal
    # that is not monotone in any observable, which a linear model cannot represent.
    sweet_spot: float = 0.0
    industry_effects: Mapping[str, float] | None = None
    plan_effects: Mapping[str, float] | None = None
    size_effects: Mapping[str, float] | None = None
    title_effects: Mapping[str, float] | None = None


PRODUCTS: tuple[Product, ...] = (
    Product(
        "analytics_pro",
        ("reports", "dashboards", "export"),
        base_logit=-8.65,
        seed_share=0.002,
        industry_effects={"finance": 0.35, "consulting": 0.3, "software": 0.2, "nonprofit": -0.3},
        plan_effects={"free": -0.5, "business": 0.3, "enterprise": 0.4},
        size_effects={"1-10": -0.2, "201-1000": 0.2, "1000+": 0.25},
        title_effects={"Data Analyst": 0.4, "Data Scientist": 0.3, "Student": -0.4},
    ),
    Product(
        "team_workspace",
        ("sharing", "comments", "templates"),
        base_logit=-9.1,
        seed_share=0.002,
        team_effect=0.5,
        industry_effects={"consulting": 0.2, "media": 0.2, "software": 0.15},
        plan_effects={"free": -0.4, "business": 0.3, "enterprise": 0.2},
        size_effects={"11-50": 0.25, "51-200": 0.2, "1-10": -0.1},
        title_effects={"Product Manager": 0.3, "Founder": 0.2, "Student": -0.3},
    ),
    Product(
        "ai_assistant",
        ("automation", "templates", "alerts"),
        base_logit=-9.9,
        seed_share=0.002,
        sweet_spot=2.5,
        industry_effects={"software": 0.3, "media": 0.25, "government": -0.4},
        plan_effects={"free": -0.3, "pro": 0.2},
        title_effects={"Marketing Manager": 0.3, "Founder": 0.3, "Designer": 0.2},
    ),
    Product(
        "api_access",
        ("api", "integrations", "export"),
        base_logit=-12.8,
        seed_share=0.0002,
        cold_start=True,
        industry_effects={"software": 0.6, "finance": 0.2},
        plan_effects={"free": -0.8, "business": 0.2, "enterprise": 0.4},
        size_effects={"1000+": 0.2},
        title_effects={"Software Engineer": 0.6, "CTO": 0.6, "Data Scientist": 0.3},
    ),
    Product(
        "data_connectors",
        ("integrations", "export", "dashboards"),
        base_logit=-9.4,
        seed_share=0.0015,
        industry_effects={"retail": 0.3, "manufacturing": 0.3, "finance": 0.2},
        plan_effects={"free": -0.5, "enterprise": 0.3},
        size_effects={"201-1000": 0.2, "1000+": 0.3},
        title_effects={"Data Analyst": 0.3, "Operations Manager": 0.2},
    ),
    Product(
        "audit_log",
        ("alerts", "sharing", "comments"),
        base_logit=-9.5,
        seed_share=0.0015,
        industry_effects={"finance": 0.4, "healthcare": 0.4, "government": 0.4},
        plan_effects={"free": -0.7, "enterprise": 0.5},
        size_effects={"1000+": 0.4},
        title_effects={"CTO": 0.3},
    ),
)
DEFAULT_PRODUCTS = 4

CODED = pa.dictionary(pa.int32(), pa.string())  # written as plain strings
EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.int64()),
        ("user_id", pa.string()),
        ("occurred_at", pa.string()),
        ("event_type", CODED),
        ("item", CODED),
        ("duration_ms", pa.int64()),
        ("scroll_depth_pct", pa.float64()),
        ("revenue", pa.float64()),
        ("device_type", CODED),
        ("user_agent", CODED),
    ]
)
EVENT_TYPE_VOCAB = pa.array(EVENT_TYPES, type=pa.string())
# Items are coded by (kind offset + index); pages and features share some names, so the
# written dictionary holds each distinct name once.
ITEM_NAMES = tuple(dict.fromkeys(ITEMS))
ITEM_NAME_CODE = np.array([ITEM_NAMES.index(name) for name in ITEMS])
ITEM_VOCAB = pa.array(ITEM_NAMES, type=pa.string())
DEVICE_VOCAB = pa.array(DEVICE_TYPES, type=pa.string())
USER_AGENT_VOCAB = pa.array(USER_AGENTS, type=pa.string())
USER_SCHEMA = pa.schema(
    [
        ("user_id", pa.string()),
        ("signup_at", pa.string()),
        ("email", pa.string()),
        ("country", pa.string()),
        ("industry", pa.string()),
        ("job_title", pa.string()),
        ("company_size", pa.string()),
        ("birth_year", pa.int64()),
        ("plan", pa.string()),
        ("team_id", pa.string()),
    ]
)
CONNECTION_SCHEMA = pa.schema(
    [("user_id", pa.string()), ("connected_user_id", pa.string()), ("connected_at", pa.string())]
)
ADOPTION_SCHEMA = pa.schema(
    [("user_id", pa.string()), ("product_id", pa.string()), ("adopted_at", pa.string())]
)
CAMPAIGN_SCHEMA = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("user_id", pa.string()),
        ("product_id", pa.string()),
        ("assigned_at", pa.string()),
        ("arm", pa.string()),
    ]
)
EVENT_FIELDS = ("event_id", "user", "ts", "type", "item", "duration", "scroll", "revenue")
EVENT_FIELDS += ("device", "ua")

Batch = dict[str, np.ndarray]


# --- Small helpers ----------------------------------------------------------------------
def _rng(seed: int, role: int, index: int = 0) -> np.random.Generator:
    """The generator for one (role, index) stream of a seed."""
    return np.random.default_rng([seed, role, index])


def _weights(values: Sequence[float]) -> np.ndarray:
    """Normalise weights to probabilities."""
    w = np.asarray(values, dtype=np.float64)
    return w / w.sum()


def _categorical(rng: np.random.Generator, cum: np.ndarray) -> np.ndarray:
    """One draw per row from row-wise cumulative (unnormalised) weights ``cum``."""
    r = rng.random(cum.shape[0]) * cum[:, -1]
    return np.minimum((r[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)


def _vocab(values: Sequence[str]) -> pa.Array:
    """An Arrow string array to look codes up in."""
    return pa.array(list(values), type=pa.string())


def _encode(vocab: pa.Array, codes: np.ndarray) -> pa.DictionaryArray:
    """Dictionary-encoded strings for integer codes; negative codes become null."""
    indices = pa.array(codes, type=pa.int32(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, vocab)


def _lookup(vocab: pa.Array, codes: np.ndarray) -> pa.Array:
    """Strings for integer codes; negative codes become null."""
    return _encode(vocab, codes).cast(pa.string())


def _plain(schema: pa.Schema) -> pa.Schema:
    """The schema with dictionary-encoded string columns as plain strings."""
    return pa.schema(
        [
            pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
            for f in schema
        ]
    )


def _format_ts(secs: np.ndarray) -> pa.Array:
    """Epoch seconds as ``YYYY-MM-DD HH:MM:SS`` strings, built byte-wise (fast)."""
    n = len(secs)
    if n == 0:
        return pa.array([], type=pa.string())
    days, sod = np.divmod(np.asarray(secs, dtype=np.int64), DAY_S)
    first = int(days.min())
    span = int(days.max()) - first + 1
    labels = np.arange(first, first + span).astype("datetime64[D]").astype("S10")
    out = np.empty((n, 19), dtype=np.uint8)
    out[:, :10] = labels.view(np.uint8).reshape(span, 10)[days - first]
    out[:, 10] = ord(" ")
    hours, rest = np.divmod(sod, 3600)
    minutes, seconds = np.divmod(rest, 60)
    for col, part in ((11, hours), (14, minutes), (17, seconds)):
        out[:, col] = 48 + part // 10
        out[:, col + 1] = 48 + part % 10
    out[:, 13] = out[:, 16] = ord(":")
    offsets = np.arange(0, 19 * (n + 1), 19, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out))


def _time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight from the diurnal profile (business hours peak)."""
    hours = rng.choice(24, size=n, p=_weights(HOURLY_WEIGHTS))
    return hours * 3600 + rng.integers(0, 3600, size=n)


def _group_exclusive_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cumulative sum of the earlier values within runs of equal ``groups``."""
    if len(values) == 0:
        return values.copy()
    total = np.cumsum(values)
    before = total - values
    first = np.r_[True, groups[1:] != groups[:-1]]
    return before - before[first][np.cumsum(first) - 1]


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + count)`` for each pair."""
    total = int(counts.sum())
    shift = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return shift + np.arange(total)


def _take(batch: Batch, idx: np.ndarray) -> Batch:
    """Rows ``idx`` of an event batch."""
    return {k: v[idx] for k, v in batch.items()}


def _concat(batches: Sequence[Batch]) -> Batch:
    """Row-wise concatenation of event batches."""
    return {k: np.concatenate([b[k] for b in batches]) for k in EVENT_FIELDS}


def _dirty_count(rate: float, base: int) -> int:
    """Dirty rows of one kind: proportional to the table, at least one."""
    return max(1, round(rate * base))


def _user_id(index: int) -> str:
    """The id string of user number ``index`` (0-based)."""
    return f"u{index + 1:07d}"


# --- Writers ----------------------------------------------------------------------------
class _TableWriter:
    """Appends Arrow tables to one Parquet or CSV file in row groups of ~1M rows.

    Dictionary-encoded string columns are written as plain strings: Parquet keeps its
    own dictionary pages (no Arrow schema is stored, so readers see strings) and CSV
    gets the decoded values.
    """

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self._writer: pq.ParquetWriter | pa_csv.CSVWriter
        if fmt == "parquet":
            self._schema = schema
            self._writer = pq.ParquetWriter(path, schema, compression="zstd", store_schema=False)
        else:
            self._schema = _plain(schema)
            options = pa_csv.WriteOptions(include_header=True, quoting_style="needed")
            self._writer = pa_csv.CSVWriter(path, self._schema, write_options=options)
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        """Queue rows; flush a row group once enough rows are queued."""
        self._buffer.append(table if table.schema == self._schema else table.cast(self._schema))
        self._buffered += table.num_rows
        self.rows += table.num_rows
        if self._buffered >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._buffered:
            return
        table = pa.concat_tables(self._buffer)
        if isinstance(self._writer, pq.ParquetWriter):
            self._writer.write_table(table, row_group_size=table.num_rows)
        else:
            self._writer.write_table(table)
        self._buffer, self._buffered = [], 0

    def close(self) -> None:
        """Flush what is queued and close the file."""
        self._flush()
        self._writer.close()


def _write_table(path: Path, table: pa.Table, fmt: str) -> int:
    """Write a whole table to one file; return its row count."""
    writer = _TableWriter(path, table.schema, fmt)
    writer.write(table)
    writer.close()
    return writer.rows


# --- Population -------------------------------------------------------------------------
@dataclass
class _Population:
    """Per-user true attributes and latent traits (numpy vectors, index = user number)."""

    n: int
    signup_ts: np.ndarray
    signup_day: np.ndarray
    team: np.ndarray
    n_teams: int
    industry: np.ndarray
    company_size: np.ndarray
    plan: np.ndarray
    title: np.ndarray
    bot_kind: np.ndarray  # 0 human, 1 bot user agent, 2 machine-paced
    bot_ua: np.ndarray
    engagement: np.ndarray
    depth: np.ndarray
    trend: np.ndarray
    feature_share: np.ndarray
    purchase_rate: np.ndarray
    affinity: np.ndarray
    device: np.ndarray
    ua_pick: np.ndarray
    ids: pa.Array
    table: pa.Table


def _draw_signups(rng: np.random.Generator, n: int, start_ts: int, end_ts: int) -> np.ndarray:
    """Signup times: some before the window (up to a year), the rest growing inside it."""
    latest = end_ts - 2 * 3600
    pre = rng.random(n) < PRE_WINDOW_SHARE
    growth = 1.1
    x = np.log1p(rng.random(n) * np.expm1(growth)) / growth
    inside = start_ts + (x * (latest - start_ts)).astype(np.int64)
    before = start_ts - rng.integers(3600, 365 * DAY_S, size=n)
    return np.where(pre, before, inside)


def _build_teams(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Team index per user (-1 solo) and team sizes; ~55% of users are in teams."""
    target = int(TEAM_SHARE * n)
    sizes = np.clip(np.rint(rng.lognormal(np.log(4.5), 0.75, size=target)), 2, 30)
    sizes = sizes.astype(np.int64)
    cut = int(np.searchsorted(np.cumsum(sizes), target))
    sizes = sizes[: cut + 1]
    sizes[-1] -= int(sizes.sum()) - target
    sizes = sizes[sizes >= 2]
    members = rng.permutation(n)[: int(sizes.sum())]
    team = np.full(n, -1, dtype=np.int64)
    team[members] = np.repeat(np.arange(len(sizes)), sizes)
    return team, sizes


def _build_population(seed: int, n: int, start_ts: int, end_ts: int) -> _Population:
    """Draw users, teams, demographics and latent traits, and the clean users table."""
    rng = _rng(seed, ROLE_USERS)
    team, sizes = _build_teams(rng, n)
    n_teams = len(sizes)
    in_team = team >= 0
    t_idx = np.maximum(team, 0)

    # Signups: teammates follow their team's first member by a few weeks.
    signup_ts = _draw_signups(rng, n, start_ts, end_ts)
    anchors = _draw_signups(rng, n_teams, start_ts, end_ts)
    follow = rng.exponential(20 * DAY_S, size=n).astype(np.int64)
    order = np.argsort(team, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.searchsorted(team[order], team[order])
    follow[rank == 0] = 0
    member_ts = anchors[t_idx] + follow
    latest = end_ts - 2 * 3600
    late = member_ts > latest
    member_ts[late] = anchors[t_idx[late]] + (
        rng.random(int(late.sum())) * (latest - anchors[t_idx[late]])
    ).astype(np.int64)
    signup_ts = np.where(in_team, member_ts, signup_ts)

    # Bots: solo users who signed up before the window.
    solo = np.flatnonzero(~in_team)
    n_bots = max(3, round(BOT_SHARE * n))
    bots = np.sort(rng.choice(solo, size=n_bots, replace=False))
    bot_kind = np.zeros(n, dtype=np.int8)
    bot_kind[bots] = np.where(np.arange(n_bots) % 2 == 0, 1, 2)
    bot_ua = np.full(n, -1, dtype=np.int64)
    bot_ua[bots] = rng.integers(0, len(BOT_USER_AGENTS), size=n_bots)
    signup_ts[bots] = start_ts - rng.integers(DAY_S, 200 * DAY_S, size=n_bots)
    signup_day = (signup_ts - start_ts) // DAY_S

    # Demographics: team-level for B2B, individual for B2C.
    team_industry = rng.choice(len(INDUSTRIES), size=n_teams, p=_weights(INDUSTRY_WEIGHTS))
    team_size = rng.choice(len(COMPANY_SIZES), size=n_teams, p=_weights(B2B_SIZE_WEIGHTS))
    team_size = np.where(sizes > 10, np.maximum(team_size, 1), team_size)
    team_plan = _categorical(rng, np.cumsum(PLAN_BY_SIZE[team_size], axis=1))
    team_country = rng.choice(len(COUNTRIES), size=n_teams, p=_weights(COUNTRY_WEIGHTS))
    industry = np.where(
        in_team,
        team_industry[t_idx],
        rng.choice(len(INDUSTRIES), size=n, p=_weights(INDUSTRY_WEIGHTS)),
    )
    solo_size = np.where(rng.random(n) < 0.8, 0, rng.integers(1, len(COMPANY_SIZES), size=n))
    company_size = np.where(in_team, team_size[t_idx], solo_size)
    solo_plan = rng.choice(len(PLANS), size=n, p=np.asarray(B2C_PLAN_WEIGHTS))
    member_plan = np.where(rng.random(n) < 0.85, team_plan[t_idx], 0)
    plan = np.where(in_team, member_plan, solo_plan)
    country = np.where(
        in_team & (rng.random(n) < 0.9),
        team_country[t_idx],
        rng.choice(len(COUNTRIES), size=n, p=_weights(COUNTRY_WEIGHTS)),
    )
    title = np.where(
        in_team,
        rng.choice(len(JOB_TITLES), size=n, p=_weights(B2B_TITLE_WEIGHTS)),
        rng.choice(len(JOB_TITLES), size=n, p=_weights(B2C_TITLE_WEIGHTS)),
    )
    birth_year = np.clip(np.rint(rng.normal(1987, 10, size=n)), 1950, 2007).astype(np.int64)

    # Latent traits.
    engagement = rng.lognormal(np.log(0.028), 1.0, size=n) * PLAN_ENGAGEMENT[plan]
    engagement *= np.where(in_team, 1.2, 1.0)
    engagement = np.minimum(engagement, 1.5)
    engagement[bot_kind == 1] = 0.35
    engagement[bot_kind == 2] = 0.0
    depth = rng.lognormal(np.log(10.0), 0.35, size=n)
    trend = rng.normal(0.0, 1.0, size=n)
    feature_share = rng.beta(2.0, 7.0, size=n)
    purchase_rate = 0.003 * rng.gamma(0.6, 1 / 0.6, size=n) * PLAN_PURCHASE[plan]
    prior = np.ones((len(JOB_TITLES), len(FEATURES)))
    for t, tilts in TITLE_AFFINITY.items():
        for f, m in tilts.items():
            prior[JOB_TITLES.index(t), FEATURES.index(f)] = m
    affinity = rng.gamma(0.8 * prior[title]).astype(np.float32) + np.float32(1e-3)
    device = rng.choice(len(DEVICE_TYPES), size=n, p=np.asarray(DEVICE_WEIGHTS))
    ua_pick = rng.integers(0, 1 << 30, size=n)

    ids = pa.array([_user_id(i) for i in range(n)], type=pa.string())
    firsts = rng.integers(0, len(FIRST_NAMES), size=n)
    lasts = rng.integers(0, len(LAST_NAMES), size=n)
    team_domain = [
        f"{COMPANY_WORDS[a]}{COMPANY_SUFFIXES[b]}.{'io' if c else 'com'}"
        for a, b, c in zip(
            rng.integers(0, len(COMPANY_WORDS), size=n_teams),
            rng.integers(0, len(COMPANY_SUFFIXES), size=n_teams),
            rng.random(n_teams) < 0.3,
            strict=True,
        )
    ]
    personal = rng.integers(0, len(PERSONAL_DOMAINS), size=n)
    emails = [
        f"{FIRST_NAMES[f]}.{LAST_NAMES[s]}{i % 100}@"
        + (team_domain[t] if t >= 0 else PERSONAL_DOMAINS[p])
        for i, (f, s, t, p) in enumerate(zip(firsts, lasts, team, personal, strict=True))
    ]

    def observed(codes: np.ndarray, null_share: float) -> np.ndarray:
        return np.where(rng.random(n) < null_share, -1, codes)

    table = pa.Table.from_arrays(
        [
            ids,
            _format_ts(signup_ts),
            pa.array(emails, type=pa.string(), mask=rng.random(n) < 0.05),
            _lookup(_vocab(COUNTRIES), observed(country, 0.06)),
            _lookup(_vocab(INDUSTRIES), observed(industry, 0.10)),
            _lookup(_vocab(JOB_TITLES), observed(title, 0.12)),
            _lookup(_vocab(COMPANY_SIZES), observed(company_size, 0.08)),
            pa.array(birth_year, type=pa.int64(), mask=rng.random(n) < 0.15),
            _lookup(_vocab(PLANS), plan),
            pa.array(
                [f"t{t + 1:05d}" if t >= 0 else None for t in team.tolist()], type=pa.string()
            ),
        ],
        schema=USER_SCHEMA,
    )
    return _Population(
        n=n,
        signup_ts=signup_ts,
        signup_day=signup_day,
        team=team,
        n_teams=n_teams,
        industry=industry,
        company_size=company_size,
        plan=plan,
        title=title,
        bot_kind=bot_kind,
        bot_ua=bot_ua,
        engagement=engagement,
        depth=depth,
        trend=trend,
        feature_share=feature_share,
        purchase_rate=purchase_rate,
        affinity=affinity,
        device=device,
        ua_pick=ua_pick,
        ids=ids,
        table=table,
    )


# --- Social graph -----------------------------------------------------------------------
def _build_edges(
    seed: int, pop: _Population, start_ts: int, end_ts: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected clean edges (a, b, connected_ts) with homophily, sorted by time."""
    rng = _rng(seed, ROLE_EDGES)
    n = pop.n
    # Within teams: about 1.8 edges per member.
    sizes = np.bincount(pop.team[pop.team >= 0], minlength=pop.n_teams)
    members = np.argsort(pop.team, kind="stable")[n - int(sizes.sum()) :]
    team_start = np.cumsum(sizes) - sizes
    per_team = np.minimum(sizes * (sizes - 1) // 2, np.rint(1.8 * sizes).astype(np.int64))
    t = np.repeat(np.arange(pop.n_teams), per_team)
    i = rng.integers(0, sizes[t])
    j = rng.integers(0, sizes[t] - 1)
    j = j + (j >= i)
    team_a, team_b = members[team_start[t] + i], members[team_start[t] + j]
    # Within an industry, then random.
    by_industry = np.argsort(pop.industry, kind="stable")
    ind_count = np.bincount(pop.industry, minlength=len(INDUSTRIES))
    ind_start = np.cumsum(ind_count) - ind_count
    ind_a = rng.integers(0, n, size=int(0.8 * n))
    ind_b = by_industry[
        ind_start[pop.industry[ind_a]] + rng.integers(0, ind_count[pop.industry[ind_a]])
    ]
    rnd_a = rng.integers(0, n, size=int(0.5 * n))
    rnd_b = rng.integers(0, n, size=int(0.5 * n))
    a = np.concatenate([team_a, ind_a, rnd_a])
    b = np.concatenate([team_b, ind_b, rnd_b])
    ok = (a != b) & (pop.bot_kind[a] == 0) & (pop.bot_kind[b] == 0)
    lo_u, hi_u = np.minimum(a[ok], b[ok]), np.maximum(a[ok], b[ok])
    _, first = np.unique(lo_u * n + hi_u, return_index=True)
    first = np.sort(first)
    # Keep the drawn orientation of the first draw of each pair.
    a, b = a[ok][first], b[ok][first]
    lo_ts = np.maximum(np.maximum(pop.signup_ts[a], pop.signup_ts[b]), start_ts) + 60
    ts = lo_ts + (rng.beta(1.0, 3.0, size=len(a)) * (end_ts - 1 - lo_ts)).astype(np.int64)
    order = np.argsort(ts, kind="stable")
    return a[order], b[order], ts[order]


# --- Events -----------------------------------------------------------------------------
# Duration (ms) median and spread per event type; a non-positive median means null.
DURATION_MEDIAN_MS = np.array([25_000, 0, 4_000, 0, 60_000, 8_000, 0])
DURATION_SIGMA = np.array([1.0, 0.0, 0.6, 0.0, 1.0, 0.8, 0.0])
TYPE_WEIGHTS = (0.36, 0.25, 0.08, 0.13)  # page_view, click, search, scroll


def _events_table(batch: Batch, user_ids: pa.Array, occurred_at: pa.Array) -> pa.Table:
    """An events table from a batch of coded rows plus its user-id and timestamp strings."""
    return pa.Table.from_arrays(
        [
            pa.array(batch["event_id"], type=pa.int64(), mask=batch["event_id"] < 0),
            user_ids,
            occurred_at,
            _encode(EVENT_TYPE_VOCAB, batch["type"]),
            _encode(ITEM_VOCAB, np.where(batch["item"] >= 0, ITEM_NAME_CODE[batch["item"]], -1)),
            pa.array(batch["duration"], type=pa.int64(), mask=batch["duration"] < 0),
            pa.array(batch["scroll"], type=pa.float64(), mask=np.isnan(batch["scroll"])),
            pa.array(batch["revenue"], type=pa.float64(), mask=np.isnan(batch["revenue"])),
            _encode(DEVICE_VOCAB, batch["device"]),
            _encode(USER_AGENT_VOCAB, batch["ua"]),
        ],
        schema=EVENT_SCHEMA,
    )


def _session_events(
    rng: np.random.Generator,
    pop: _Population,
    d: int,
    day_start: int,
    affinity: np.ndarray,
    feature_share: np.ndarray,
) -> Batch:
    """The sessions of all users (humans and user-agent bots) on day ``d``."""
    n = pop.n
    since = np.maximum(pop.signup_day, 0)
    trend = np.clip(np.exp(pop.trend * (d - since) / 180.0), 0.1, 4.0)
    burst = np.where(rng.random(n) < BURST_PROBABILITY, BURST_FACTOR, 1.0)
    weekday = WEEKDAY_FACTORS[(day_start // DAY_S + 3) % 7]  # 1970-01-01 was a Thursday
    rate = pop.engagement * weekday * trend * burst * (pop.signup_day <= d)
    sessions = np.minimum(rng.poisson(rate), MAX_SESSIONS_PER_DAY)
    active = np.flatnonzero(sessions)
    signup_sod = pop.signup_ts[active] - day_start
    lo = np.where(pop.signup_day[active] == d, signup_sod + 60, 0)
    avail = LAST_ACTIVE_SOD - lo

    # Session lengths and in-session offsets (gaps of 1 s to 10 min).
    s_group = np.repeat(np.arange(len(active)), sessions[active])
    s_user = active[s_group]
    mean_extra = pop.depth[s_user]
    extra = rng.negative_binomial(2.0, 2.0 / (2.0 + mean_extra))
    length = MIN_SESSION_EVENTS + np.minimum(extra, MAX_SESSION_EVENTS - MIN_SESSION_EVENTS)
    first = np.cumsum(length) - length
    e_sess = np.repeat(np.arange(len(length)), length)
    pos = np.arange(len(e_sess)) - first[e_sess]
    gaps = np.clip(np.rint(rng.lognormal(np.log(20.0), 0.9, size=len(e_sess))), 1, MAX_EVENT_GAP_S)
    gaps = np.where(pos == 0, 0, gaps.astype(np.int64))
    cum = np.cumsum(gaps)
    offset = cum - cum[first][e_sess]
    duration = offset[first + length - 1]

    # Place the user-day's sessions: no overlap, > 30 min apart, all inside the day.
    need = duration + SESSION_SEPARATION_S
    before = _group_exclusive_cumsum(need, s_group)
    keep = before + duration <= avail[s_group]
    s_group, s_user, before, need = s_group[keep], s_user[keep], before[keep], need[keep]
    used = np.zeros(len(active), dtype=np.int64)
    np.add.at(used, s_group, need)
    slack = avail - (used - SESSION_SEPARATION_S)
    shift = (_time_of_day(rng, len(s_group)) * slack[s_group]) // DAY_S
    shift = shift[np.lexsort((shift, s_group))]
    start = lo[s_group] + shift + before
    e_keep = keep[e_sess]
    e_sess = (np.cumsum(keep) - 1)[e_sess[e_keep]]
    pos, offset = pos[e_keep], offset[e_keep]
    n_events = len(e_sess)
    user = s_user[e_sess]

    # Event types: sessions sometimes open with a login; the rest follow the user's mix.
    mix = np.column_stack(
        [
            np.full(len(active), TYPE_WEIGHTS[0]),
            np.full(len(active), TYPE_WEIGHTS[1]),
            np.full(len(active), TYPE_WEIGHTS[2]),
            feature_share[active],
            np.full(len(active), TYPE_WEIGHTS[3]),
            pop.purchase_rate[active],
        ]
    )
    etype = SESSION_TYPES[_categorical(rng, np.cumsum(mix, axis=1)[s_group[e_sess]])]
    etype[(pos == 0) & (rng.random(n_events) < LOGIN_SHARE)] = LOGIN

    item = np.full(n_events, -1, dtype=np.int64)
    page = np.flatnonzero(np.isin(etype, (PAGE_VIEW, CLICK, SCROLL)))
    item[page] = PAGE_OFFSET + rng.choice(len(PAGES), size=len(page), p=_weights(PAGE_WEIGHTS))
    search = np.flatnonzero(etype == SEARCH)
    item[search] = SEARCH_OFFSET + rng.choice(
        len(SEARCH_CATEGORIES), size=len(search), p=_weights(SEARCH_WEIGHTS)
    )
    used_feature = np.flatnonzero(etype == FEATURE_USE)
    item[used_feature] = FEATURE_OFFSET + _categorical(
        rng, np.cumsum(affinity[user[used_feature]], axis=1)
    )
    purchase = np.flatnonzero(etype == PURCHASE)
    sku = _categorical(rng, np.cumsum(SKU_BY_PLAN[pop.plan[user[purchase]]], axis=1))
    item[purchase] = SKU_OFFSET + sku
    revenue = np.full(n_events, np.nan)
    price = SKU_MEDIAN_PRICE[sku] * rng.lognormal(0.0, 0.25, size=len(purchase))
    revenue[purchase] = np.maximum(np.round(price, 2), 0.99)

    median = DURATION_MEDIAN_MS[etype]
    spread = rng.lognormal(0.0, 1.0, size=n_events) ** DURATION_SIGMA[etype]
    duration_ms = np.where(median > 0, np.rint(median * spread), -1).astype(np.int64)
    duration_ms[rng.random(n_events) < 0.03] = -1
    scroll = np.full(n_events, np.nan)
    scrolls = np.flatnonzero(etype == SCROLL)
    scroll[scrolls] = np.round(100.0 * rng.beta(2.0, 1.6, size=len(scrolls)), 1)

    # Device per session (mostly the user's main one) and a browser agent for it.
    device = np.where(
        rng.random(len(s_user)) < 0.85,
        pop.device[s_user],
        rng.integers(0, len(DEVICE_TYPES), size=len(s_user)),
    )
    ua = DEVICE_UA_START[device] + pop.ua_pick[s_user] % DEVICE_UA_COUNT[device]
    ua = np.where(pop.bot_kind[s_user] == 1, BOT_UA_START + pop.bot_ua[s_user], ua)
    return {
        "event_id": np.zeros(n_events, dtype=np.int64),
        "user": user,
        "ts": day_start + start[e_sess] + offset,
        "type": etype,
        "item": item,
        "duration": duration_ms,
        "scroll": scroll,
        "revenue": revenue,
        "device": device[e_sess],
        "ua": ua[e_sess],
    }


def _burst_schedule(seed: int, pop: _Population, days: int) -> np.ndarray:
    """Machine-paced bots' bursts as rows (bot, day, start second of day, length s)."""
    rng = _rng(seed, ROLE_BOTS)
    rows = []
    for bot in np.flatnonzero(pop.bot_kind == 2):
        k = min(int(rng.integers(1, 3)), days)
        for day in np.sort(rng.choice(days, size=k, replace=False)):
            length = int(rng.integers(2 * 3600, 3 * 3600 + 1))
            rows.append((bot, day, int(rng.integers(0, LAST_ACTIVE_SOD - length)), length))
    schedule = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return schedule[np.lexsort((schedule[:, 0], schedule[:, 1]))]


def _burst_events(
    rng: np.random.Generator, bursts: np.ndarray, day_start: int, pop: _Population
) -> Batch:
    """Events of the day's machine-paced bursts: one every 2-6 seconds for hours."""
    users, offsets = [], []
    for bot, _, start, length in bursts:
        gaps = rng.integers(2, 7, size=length // 2 + 1)
        at = np.cumsum(gaps) - gaps[0]
        at = at[at <= length]
        users.append(np.full(len(at), bot))
        offsets.append(day_start + start + at)
    user = np.concatenate(users) if users else np.zeros(0, dtype=np.int64)
    ts = np.concatenate(offsets) if offsets else np.zeros(0, dtype=np.int64)
    n_events = len(user)
    etype = np.array([PAGE_VIEW, CLICK, SEARCH])[
        rng.choice(3, size=n_events, p=np.array([0.6, 0.3, 0.1]))
    ]
    item = np.where(
        etype == SEARCH,
        SEARCH_OFFSET + rng.integers(0, len(SEARCH_CATEGORIES), size=n_events),
        PAGE_OFFSET + rng.integers(0, len(PAGES), size=n_events),
    )
    duration_ms = np.where(etype == PAGE_VIEW, rng.integers(300, 3000, size=n_events), -1)
    return {
        "event_id": np.zeros(n_events, dtype=np.int64),
        "user": user,
        "ts": ts,
        "type": etype,
        "item": item,
        "duration": duration_ms,
        "scroll": np.full(n_events, np.nan),
        "revenue": np.full(n_events, np.nan),
        "device": np.zeros(n_events, dtype=np.int64),
        "ua": DEVICE_UA_START[0] + pop.ua_pick[user] % DEVICE_UA_COUNT[0],
    }


# --- Adoption ---------------------------------------------------------------------------
def _effect(effects: Mapping[str, float] | None, vocab: Sequence[str]) -> np.ndarray:
    """A per-category effect vector (zero where no effect is given)."""
    out = np.zeros(len(vocab))
    for name, value in (effects or {}).items():
        out[vocab.index(name)] = value
    return out


def _static_logits(
    rng: np.random.Generator, pop: _Population, catalog: Sequence[Product]
) -> tuple[np.ndarray, np.ndarray]:
    """Per product x user: base rate + demographics + unobserved taste, and the taste."""
    out, taste = np.empty((len(catalog), pop.n)), np.empty((len(catalog), pop.n))
    for k, product in enumerate(catalog):
        taste[k] = rng.normal(0.0, TASTE_SD, size=pop.n)
        out[k] = (
            product.base_logit
            + _effect(product.industry_effects, INDUSTRIES)[pop.industry]
            + _effect(product.plan_effects, PLANS)[pop.plan]
            + _effect(product.size_effects, COMPANY_SIZES)[pop.company_size]
            + _effect(product.title_effects, JOB_TITLES)[pop.title]
            + product.team_effect * (pop.team >= 0)
            + taste[k]
        )
    return out, taste


def _early_adopters(
    rng: np.random.Generator, pop: _Population, static: np.ndarray, catalog: Sequence[Product]
) -> list[np.ndarray]:
    """A handful of day-0 adopters per product among pre-window humans, by propensity."""
    pool = np.flatnonzero((pop.bot_kind == 0) & (pop.signup_day < 0))
    seeds = []
    for k, product in enumerate(catalog):
        count = min(max(2, round(product.seed_share * pop.n)), len(pool))
        weight = np.exp(static[k, pool] - static[k, pool].max())
        seeds.append(np.sort(rng.choice(pool, size=count, replace=False, p=weight / weight.sum())))
    return seeds


@dataclass
class _CampaignRun:
    """A campaign as it ran: its users (sorted), their arm and assignment time, and who
    it makes adopt when (``responds``: contacted users it acts on, on ``respond_ts``)."""

    plan: CampaignPlan
    product: int  # index in the catalog
    users: np.ndarray
    holdout: np.ndarray
    assigned_ts: np.ndarray
    responds: np.ndarray
    respond_ts: np.ndarray
    adopted_by_campaign: np.ndarray


def _assign_campaign(
    seed: int,
    index: int,
    plan: CampaignPlan,
    product: int,
    eligible: np.ndarray,
    day: int,
    start_ts: int,
) -> _CampaignRun:
    """Draw a campaign's audience among ``eligible`` users on ``day``, split it into arms
    (a random holdout) and draw which contacted users it acts on, and when."""
    rng = _rng(seed, ROLE_CAMPAIGN, index)
    size = round(plan.audience_share * len(eligible))
    users = np.sort(rng.choice(eligible, size=size, replace=False))
    holdout = rng.random(size) < CAMPAIGN_HOLDOUT_SHARE
    # sent in one batch: an hour of the diurnal profile, a second of it per user
    send = int(_time_of_day(rng, 1)[0]) // 3600 * 3600
    assigned_ts = start_ts + day * DAY_S + send + rng.integers(0, 3600, size=size)
    responds = ~holdout & (rng.random(size) < plan.effect)
    respond_day = day + rng.integers(1, CAMPAIGN_RESPONSE_DAYS + 1, size=size)
    respond_ts = start_ts + respond_day * DAY_S + _time_of_day(rng, size)
    return _CampaignRun(
        plan, product, users, holdout, assigned_ts, responds, respond_ts, np.zeros(size, bool)
    )


@dataclass
class _Simulation:
    """What the day loop leaves behind."""

    adopt_ts: np.ndarray  # (products, users) epoch seconds, -1 when never adopted
    early: list[np.ndarray]
    pool: Batch  # a uniform sample of clean events to derive dirty events from
    clean_events: int
    bot_events: int
    next_event_id: int
    campaigns: list[_CampaignRun]
    # per recorded day: (day, product index, users, hazard logit, its unobserved taste,
    # the hazard without the taste summed over the days before)
    hazards: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


def _simulate(
    seed: int,
    pop: _Population,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray],
    catalog: Sequence[Product],
    days: int,
    start_ts: int,
    pool_size: int,
    writer: _TableWriter,
    signal: float = 1.0,
    campaigns: Sequence[CampaignPlan] = (),
    hazard_days: Sequence[int] = (),
) -> _Simulation:
    """Run the day loop: adoption hazard from yesterday's state, then today's events.

    Each campaign is assigned at the start of its day, among the humans signed up before
    it who have not adopted its product; the users it acts on adopt on their response
    day unless they adopted by themselves first. On each of ``hazard_days`` the hazard's
    logit of every user who can adopt is recorded, with its taste and the hazard without
    the taste summed over the days before (it draws no random number, so the world is the
    same with or without it)."""
    n, n_products = pop.n, len(catalog)
    human = pop.bot_kind == 0
    # the behavioral and social coefficients, scaled by the signal (x 1.0 changes no bit)
    b_trend, b_recency, b_monetary = signal * B_TREND, signal * B_RECENCY, signal * B_MONETARY
    b_behavior, b_social, b_team = signal * B_BEHAVIOR, signal * B_SOCIAL, signal * B_TEAM
    seed_rng = _rng(seed, ROLE_SEEDS)
    static, taste = _static_logits(seed_rng, pop, catalog)
    early = _early_adopters(seed_rng, pop, static, catalog)
    related = [np.array([FEATURES.index(f) for f in p.related_features]) for p in catalog]
    affinity = pop.affinity.copy()
    feature_share = pop.feature_share.copy()
    team_slot = np.where(pop.team >= 0, pop.team, pop.n_teams)

    decay_feature = np.float32(0.5 ** (1 / FEATURE_HALF_LIFE_D))
    decay_purchase = 0.5 ** (1 / PURCHASE_HALF_LIFE_D)
    decay_short = 0.5 ** (1 / SHORT_HALF_LIFE_D)
    decay_long = 0.5 ** (1 / LONG_HALF_LIFE_D)
    feature_uses = np.zeros((n, len(FEATURES)), dtype=np.float32)
    short, long_, purchases, spend = (np.zeros(n) for _ in range(4))

    adopted = np.zeros((n_products, n), dtype=bool)
    adopt_ts = np.full((n_products, n), -1, dtype=np.int64)
    adopter_links = np.zeros((n_products, n), dtype=np.int32)
    team_adopters = np.zeros((n_products, pop.n_teams + 1), dtype=np.int32)
    day0_rng = _rng(seed, ROLE_SEEDS, 1)
    for k, users in enumerate(early):
        adopted[k, users] = True
        adopt_ts[k, users] = start_ts + _time_of_day(day0_rng, len(users))

    # Both directions of every edge, grouped by user, with the edge's day.
    edge_a, edge_b, edge_ts = edges
    edge_day = (edge_ts - start_ts) // DAY_S
    edge_ptr = np.searchsorted(edge_day, np.arange(days + 1))
    src = np.concatenate([edge_a, edge_b])
    order = np.argsort(src, kind="stable")
    adj_dst = np.concatenate([edge_b, edge_a])[order]
    adj_day = np.concatenate([edge_day, edge_day])[order]
    adj_ptr = np.searchsorted(src[order], np.arange(n + 1))

    bursts = _burst_schedule(seed, pop, days)
    burst_ptr = np.searchsorted(bursts[:, 1], np.arange(days + 1))
    pool: Batch = {
        k: np.zeros(0, dtype=np.float64 if k in ("scroll", "revenue") else np.int64)
        for k in EVENT_FIELDS
    }
    pool_keys = np.zeros(0)
    next_id, clean_events, bot_events = 1, 0, 0
    product_index = {product.product_id: k for k, product in enumerate(catalog)}
    campaign_day = [days - plan.days_before_end for plan in campaigns]
    runs: list[_CampaignRun] = []
    hazards: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    # per product x user: exp(logit - taste) summed over the days the user could adopt
    exposure = np.zeros((n_products, n)) if hazard_days else None

    for d in range(days):
        rng = _rng(seed, ROLE_DAY, d)
        day_start = start_ts + d * DAY_S
        for c, plan in enumerate(campaigns):
            if campaign_day[c] == d:
                k = product_index[plan.product_id]
                eligible = np.flatnonzero(human & (pop.signup_day < d) & ~adopted[k])
                runs.append(_assign_campaign(seed, c, plan, k, eligible, d, start_ts))

        # 1. Adoption today from the state at the end of yesterday.
        new = [users if d == 0 else np.zeros(0, dtype=np.int64) for users in early]
        rising = np.clip(
            np.log((short * (1 - decay_short) + 0.5) / (long_ * (1 - decay_long) + 0.5)), -1.5, 1.5
        )
        shared = b_trend * rising + b_recency * np.log1p(purchases) + b_monetary * np.log1p(spend)
        level = np.log1p(long_ * (1 - decay_long))
        sweet = np.exp(-(((level - SWEET_SPOT_CENTER) / SWEET_SPOT_WIDTH) ** 2))
        can_adopt = human & (pop.signup_day < d)
        for k in range(n_products):
            idx = np.flatnonzero(can_adopt & ~adopted[k])
            logit = (
                static[k, idx]
                + shared[idx]
                + b_behavior * np.log1p(feature_uses[idx[:, None], related[k]].sum(axis=1))
                + b_social * np.log1p(adopter_links[k, idx])
                + b_team * np.log1p(team_adopters[k, team_slot[idx]])
                + signal * catalog[k].sweet_spot * sweet[idx]
            )
            if exposure is not None:
                if d in hazard_days:
                    hazards.append((d, k, idx, logit, taste[k, idx], exposure[k, idx]))
                exposure[k, idx] += np.exp(logit - taste[k, idx])
            hit = idx[rng.random(len(idx)) < -np.expm1(-np.exp(logit))]
            adopted[k, hit] = True
            adopt_ts[k, hit] = day_start + _time_of_day(rng, len(hit))
            new[k] = np.concatenate([new[k], hit])
            # the campaigns' responses today, of users who have not adopted by themselves
            for run in runs:
                if run.product != k:
                    continue
                due = np.flatnonzero(
                    run.responds
                    & (run.respond_ts >= day_start)
                    & (run.respond_ts < day_start + DAY_S)
                    & ~adopted[k, run.users]
                )
                adopted[k, run.users[due]] = True
                adopt_ts[k, run.users[due]] = run.respond_ts[due]
                run.adopted_by_campaign[due] = True
                new[k] = np.concatenate([new[k], run.users[due]])

        # 2. Today's events, in time order, ids in that order.
        batch = _concat(
            [
                _session_events(rng, pop, d, day_start, affinity, feature_share),
                _burst_events(rng, bursts[burst_ptr[d] : burst_ptr[d + 1]], day_start, pop),
            ]
        )
        batch = _take(batch, np.lexsort((batch["user"], batch["ts"])))
        batch["event_id"] = next_id + np.arange(len(batch["ts"]), dtype=np.int64)
        next_id += len(batch["ts"])
        writer.write(_events_table(batch, _lookup(pop.ids, batch["user"]), _format_ts(batch["ts"])))
        clean = human[batch["user"]]
        bot_events += int((~clean).sum())
        clean_events += int(clean.sum())
        batch = _take(batch, np.flatnonzero(clean))

        # Keep a uniform sample of clean events (smallest random keys) for dirty copies.
        pool_keys = np.concatenate([pool_keys, rng.random(len(batch["ts"]))])
        pool = _concat([pool, batch])
        if len(pool_keys) > pool_size:
            keep = np.sort(np.argpartition(pool_keys, pool_size)[:pool_size])
            pool, pool_keys = _take(pool, keep), pool_keys[keep]

        # 3. Activity state (decayed counts) with today's clean events.
        feature_uses *= decay_feature
        used = batch["type"] == FEATURE_USE
        np.add.at(feature_uses, (batch["user"][used], batch["item"][used] - FEATURE_OFFSET), 1.0)
        short *= decay_short
        long_ *= decay_long
        counts = np.bincount(batch["user"], minlength=n)
        short += counts
        long_ += counts
        purchases *= decay_purchase
        spend *= decay_purchase
        bought = batch["type"] == PURCHASE
        np.add.at(purchases, batch["user"][bought], 1.0)
        np.add.at(spend, batch["user"][bought], batch["revenue"][bought])

        # 4. Consequences of today's adoptions, visible from tomorrow.
        today = slice(edge_ptr[d], edge_ptr[d + 1])
        for k in range(n_products):
            users = new[k]
            affinity[users[:, None], related[k]] *= np.float32(ADOPTION_AFFINITY_BOOST)
            feature_share[users] = np.minimum(
                feature_share[users] * ADOPTION_FEATURE_SHARE_BOOST, 0.6
            )
            links = _ranges(adj_ptr[users], adj_ptr[users + 1] - adj_ptr[users])
            links = links[adj_day[links] < d]
            np.add.at(adopter_links[k], adj_dst[links], 1)
            np.add.at(team_adopters[k], pop.team[users][pop.team[users] >= 0], 1)
            np.add.at(adopter_links[k], edge_a[today], adopted[k, edge_b[today]])
            np.add.at(adopter_links[k], edge_b[today], adopted[k, edge_a[today]])

    return _Simulation(adopt_ts, early, pool, clean_events, bot_events, next_id, runs, hazards)


# --- Dirty rows -------------------------------------------------------------------------
def _future_ts(rng: np.random.Generator, end_ts: int, size: int) -> np.ndarray:
    """Times 1-3 years after the end of the window."""
    return end_ts + rng.integers(365 * DAY_S, 3 * 365 * DAY_S, size=size)


def _unparseable(rng: np.random.Generator, size: int) -> list[str]:
    """Non-empty strings that are not valid timestamps."""
    return [UNPARSEABLE_TIMESTAMPS[i] for i in rng.integers(0, len(UNPARSEABLE_TIMESTAMPS), size)]


def _ts_after(
    rng: np.random.Generator, after: np.ndarray, start_ts: int, end_ts: int
) -> np.ndarray:
    """Uniform times inside the window, later than ``after``."""
    lo = np.maximum(after, start_ts) + 60
    return lo + (rng.random(len(lo)) * (end_ts - 1 - lo)).astype(np.int64)


def _fresh_pairs(
    rng: np.random.Generator, candidates: np.ndarray, taken: np.ndarray, size: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """``size`` distinct pairs (a, b), a != b, whose key ``min*width+max`` is not taken."""
    a_out, b_out = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    while len(a_out) < size:
        a = np.concatenate([a_out, rng.choice(candidates, size=2 * size + 8)])
        b = np.concatenate([b_out, rng.choice(candidates, size=2 * size + 8)])
        key = np.minimum(a, b) * width + np.maximum(a, b)
        ok = np.flatnonzero((a != b) & ~np.isin(key, taken))
        _, first = np.unique(key[ok], return_index=True)
        chosen = ok[np.sort(first)]
        a_out, b_out = a[chosen], b[chosen]
    return a_out[:size], b_out[:size]


def _dirty_users(
    rng: np.random.Generator, pop: _Population, end_ts: int
) -> tuple[pa.Table, dict[str, int], int]:
    """Dirty user rows and their counts; also the number of fresh user ids used."""
    k = _dirty_count(DIRTY_USERS_RATE, pop.n)
    humans = np.flatnonzero(pop.bot_kind == 0)
    fresh = pa.array([_user_id(pop.n + j) for j in range(2 * k)], type=pa.string())
    null_id = pop.table.take(rng.choice(humans, size=k)).set_column(
        0, "user_id", pa.nulls(k, type=pa.string())
    )
    duplicate = pop.table.take(np.sort(rng.choice(humans, size=k, replace=False)))
    unparseable = (
        pop.table.take(rng.choice(humans, size=k))
        .set_column(0, "user_id", fresh[:k])
        .set_column(1, "signup_at", pa.array(_unparseable(rng, k), type=pa.string()))
    )
    future = (
        pop.table.take(rng.choice(humans, size=k))
        .set_column(0, "user_id", fresh[k:])
        .set_column(1, "signup_at", _format_ts(_future_ts(rng, end_ts, k)))
    )
    table = pa.concat_tables([null_id, duplicate, unparseable, future])
    counts = dict.fromkeys(ISSUE_CODES["users"][:4], k)
    return table, counts, 2 * k


def _dirty_events(
    rng: np.random.Generator,
    sim: _Simulation,
    pop: _Population,
    per_kind: int,
    first_unknown: int,
    end_ts: int,
) -> tuple[pa.Table, dict[str, int], int]:
    """Dirty event rows derived from sampled clean events; counts; unknown ids used."""
    kinds = ISSUE_CODES["events"][:-1]  # bot_user rows are the bots' own events
    k = min(per_kind, len(sim.pool["ts"]) // len(kinds))
    if k < 1:
        raise RuntimeError("the world has too few clean events to derive dirty events from")
    rows = _take(sim.pool, rng.permutation(len(sim.pool["ts"]))[: k * len(kinds)])
    kind = np.repeat(np.arange(len(kinds)), k)
    fresh = kind != kinds.index("duplicate_event_id")
    rows["event_id"][fresh] = sim.next_event_id + np.arange(int(fresh.sum()))
    rows["ts"][fresh] = np.minimum(
        rows["ts"][fresh] + rng.integers(1, 121, int(fresh.sum())), end_ts - 1
    )
    rows["event_id"][kind == kinds.index("null_event_id")] = -1
    rows["user"][kind == kinds.index("null_user_id")] = -1
    rows["type"][kind == kinds.index("null_event_type")] = -1
    future = kind == kinds.index("future_occurred_at")
    rows["ts"][future] = _future_ts(rng, end_ts, k)
    negative = kind == kinds.index("negative_revenue")
    sku = rng.integers(0, len(SKUS), size=k)
    rows["type"][negative] = PURCHASE
    rows["item"][negative] = SKU_OFFSET + sku
    rows["revenue"][negative] = -np.round(SKU_MEDIAN_PRICE[sku] * rng.lognormal(0, 0.25, k), 2)
    rows["duration"][negative] = -1
    rows["scroll"][negative] = np.nan

    occurred_at = _format_ts(rows["ts"]).to_pylist()
    for i, text in zip(
        np.flatnonzero(kind == kinds.index("unparseable_occurred_at")),
        _unparseable(rng, k),
        strict=True,
    ):
        occurred_at[i] = text
    user_ids = _lookup(pop.ids, rows["user"]).to_pylist()
    for j, i in enumerate(np.flatnonzero(kind == kinds.index("unknown_user"))):
        user_ids[i] = _user_id(first_unknown + j)
    order = rng.permutation(len(kind))
    table = _events_table(
        _take(rows, order),
        pa.array(user_ids, type=pa.string()).take(order),
        pa.array(occurred_at, type=pa.string()).take(order),
    )
    return table, dict.fromkeys(kinds, k), k


def _dirty_connections(
    rng: np.random.Generator,
    pop: _Population,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray],
    first_unknown: int,
    start_ts: int,
    end_ts: int,
) -> tuple[pa.Table, dict[str, int], int]:
    """Dirty connection rows; counts; unknown ids used."""
    a, b, ts = edges
    k = _dirty_count(DIRTY_CONNECTIONS_RATE, len(a))
    humans = np.flatnonzero(pop.bot_kind == 0)
    taken = np.minimum(a, b) * pop.n + np.maximum(a, b)
    pa_, pb_ = _fresh_pairs(rng, humans, taken, 3 * k, pop.n)
    ids = pop.ids.to_numpy(zero_copy_only=False)
    signup = pop.signup_ts
    pair_ts = _ts_after(rng, np.maximum(signup[pa_], signup[pb_]), start_ts, end_ts)
    left: list[str | None] = []
    right: list[str | None] = []
    when: list[str] = []

    def add(x: Sequence[str | None], y: Sequence[str | None], at: Sequence[str]) -> None:
        left.extend(x)
        right.extend(y)
        when.extend(at)

    # null_user_id: a fresh pair with one endpoint missing.
    null_left = rng.random(k) < 0.5
    x, y = ids[pa_[:k]], ids[pb_[:k]]
    add(
        [None if m else v for m, v in zip(null_left, x, strict=True)],
        [v if m else None for m, v in zip(null_left, y, strict=True)],
        _format_ts(pair_ts[:k]).to_pylist(),
    )
    # self_loop
    loops = rng.choice(humans, size=k)
    add(
        ids[loops],
        ids[loops],
        _format_ts(_ts_after(rng, signup[loops], start_ts, end_ts)).to_pylist(),
    )
    # unparseable_connected_at, future_connected_at: fresh pairs
    add(ids[pa_[k : 2 * k]], ids[pb_[k : 2 * k]], _unparseable(rng, k))
    add(ids[pa_[2 * k :]], ids[pb_[2 * k :]], _format_ts(_future_ts(rng, end_ts, k)).to_pylist())
    # duplicate_edge: a clean edge again, half of them reversed, same time
    dup = np.sort(rng.choice(len(a), size=k, replace=False))
    flip = rng.random(k) < 0.5
    add(
        ids[np.where(flip, b[dup], a[dup])],
        ids[np.where(flip, a[dup], b[dup])],
        _format_ts(ts[dup]).to_pylist(),
    )
    # unknown_user: one endpoint is not a user
    known = rng.choice(humans, size=k)
    unknown = [_user_id(first_unknown + j) for j in range(k)]
    at = _format_ts(_ts_after(rng, signup[known], start_ts, end_ts)).to_pylist()
    swap = rng.random(k) < 0.5
    add(
        [u if s else v for s, u, v in zip(swap, unknown, ids[known], strict=True)],
        [v if s else u for s, u, v in zip(swap, unknown, ids[known], strict=True)],
        at,
    )
    table = pa.Table.from_arrays(
        [pa.array(left, pa.string()), pa.array(right, pa.string()), pa.array(when, pa.string())],
        schema=CONNECTION_SCHEMA,
    )
    table = table.take(rng.permutation(table.num_rows))
    return table, dict.fromkeys(ISSUE_CODES["connections"], k), k


def _dirty_adoptions(
    rng: np.random.Generator,
    pop: _Population,
    clean: tuple[np.ndarray, np.ndarray, np.ndarray],
    catalog: Sequence[Product],
    first_unknown: int,
    start_ts: int,
    end_ts: int,
) -> tuple[pa.Table, dict[str, int], int]:
    """Dirty adoption rows; counts; unknown ids used."""
    users, products, ts = clean
    k = _dirty_count(DIRTY_ADOPTIONS_RATE, len(users))
    humans = np.flatnonzero(pop.bot_kind == 0)
    ids = pop.ids.to_numpy(zero_copy_only=False)
    names = np.array([p.product_id for p in catalog], dtype=object)
    n_products = len(catalog)
    window = start_ts + (rng.random(k) * (end_ts - 1 - start_ts)).astype(np.int64)
    u_np = rng.choice(humans, size=k)
    # Fresh (user, product) pairs that were never adopted, for the bad timestamps.
    taken = users * n_products + products
    candidates = rng.choice(humans, size=8 * k + 64) * n_products + rng.integers(
        0, n_products, size=8 * k + 64
    )
    candidates = candidates[~np.isin(candidates, taken)]
    _, first = np.unique(candidates, return_index=True)
    fresh = candidates[np.sort(first)][: 2 * k]
    if len(fresh) < 2 * k:
        raise RuntimeError("could not draw enough never-adopted user x product pairs")
    f_user, f_prod = fresh // n_products, fresh % n_products
    late = np.flatnonzero(ts < end_ts - 120)
    dup = np.sort(rng.choice(late, size=min(k, len(late)), replace=False))
    dup_ts = ts[dup] + 1 + (rng.random(len(dup)) * (end_ts - 2 - ts[dup])).astype(np.int64)
    parts = [
        ([None] * k, names[rng.integers(0, n_products, k)], _format_ts(window).to_pylist()),
        (
            ids[u_np],
            [None] * k,
            _format_ts(_ts_after(rng, pop.signup_ts[u_np], start_ts, end_ts)).to_pylist(),
        ),
        (ids[f_user[:k]], names[f_prod[:k]], _unparseable(rng, k)),
        (ids[f_user[k:]], names[f_prod[k:]], _format_ts(_future_ts(rng, end_ts, k)).to_pylist()),
        (ids[users[dup]], names[products[dup]], _format_ts(dup_ts).to_pylist()),
        (
            [_user_id(first_unknown + j) for j in range(k)],
            names[rng.integers(0, n_products, k)],
            _format_ts(
                start_ts + (rng.random(k) * (end_ts - 1 - start_ts)).astype(np.int64)
            ).to_pylist(),
        ),
    ]
    columns = [pa.array([v for part in parts for v in part[c]], type=pa.string()) for c in range(3)]
    table = pa.Table.from_arrays(columns, schema=ADOPTION_SCHEMA)
    table = table.take(rng.permutation(table.num_rows))
    counts = dict.fromkeys(ISSUE_CODES["adoptions"], k)
    counts["duplicate_adoption"] = len(dup)
    return table, counts, k


def _campaign_table(runs: Sequence[_CampaignRun], pop: _Population) -> pa.Table:
    """The clean assignment rows: campaign by campaign, in assignment-time order."""
    parts = []
    for run in runs:
        order = np.lexsort((run.users, run.assigned_ts))
        n = len(order)
        parts.append(
            pa.Table.from_arrays(
                [
                    pa.array([run.plan.campaign_id] * n, type=pa.string()),
                    _lookup(pop.ids, run.users[order]),
                    pa.array([run.plan.product_id] * n, type=pa.string()),
                    _format_ts(run.assigned_ts[order]),
                    pa.array(np.where(run.holdout[order], "holdout", "contacted"), pa.string()),
                ],
                schema=CAMPAIGN_SCHEMA,
            )
        )
    return pa.concat_tables(parts)


def _dirty_campaigns(
    rng: np.random.Generator, pop: _Population, clean: pa.Table, first_unknown: int, end_ts: int
) -> tuple[pa.Table, dict[str, int], int]:
    """Dirty assignment rows, each a copy of a clean row with one thing wrong; counts;
    unknown ids used."""
    k = _dirty_count(DIRTY_CAMPAIGN_RATE, clean.num_rows)
    columns = {name: clean.column(name).to_pylist() for name in CAMPAIGN_SCHEMA.names}
    kinds = ISSUE_CODES[CAMPAIGN_TABLE]
    # distinct rows when there are enough (a row picked twice is still one issue each)
    needed = k * len(kinds)
    picked = rng.choice(clean.num_rows, size=needed, replace=clean.num_rows < needed)
    bots = np.flatnonzero(pop.bot_kind > 0)
    campaigns = sorted(set(columns["campaign_id"]))
    counts = dict.fromkeys(kinds, k)
    # a bot is assigned once per campaign at most (again would be a duplicate first)
    counts["bot_user"] = min(k, len(bots) * len(campaigns))
    rows: dict[str, list[str | None]] = {name: [] for name in CAMPAIGN_SCHEMA.names}
    for j, kind in enumerate(kinds):
        for m, i in enumerate(picked[j * k : j * k + counts[kind]]):
            row = {name: columns[name][i] for name in CAMPAIGN_SCHEMA.names}
            if kind.startswith("null_"):
                row[kind.removeprefix("null_")] = None
            elif kind == "unparseable_assigned_at":
                row["assigned_at"] = _unparseable(rng, 1)[0]
            elif kind == "future_assigned_at":
                row["assigned_at"] = _format_ts(_future_ts(rng, end_ts, 1)).to_pylist()[0]
            elif kind == "unknown_arm":
                row["arm"] = UNKNOWN_ARMS[rng.integers(len(UNKNOWN_ARMS))]
            elif kind == "unknown_user":
                row["user_id"] = _user_id(first_unknown + m)
            elif kind == "bot_user":
                row["campaign_id"] = campaigns[m % len(campaigns)]
                row["user_id"] = pop.ids[int(bots[m // len(campaigns)])].as_py()
            # duplicate_assignment: the row again, as it is
            for name, value in row.items():
                rows[name].append(value)
    table = pa.Table.from_pydict(rows, schema=CAMPAIGN_SCHEMA)
    return table.take(rng.permutation(table.num_rows)), counts, k


def _campaign_truth(run: _CampaignRun, adopt_ts: np.ndarray, end_ts: int) -> dict[str, Any]:
    """What a campaign did, as its manifest entry: the planted effect and the uplift it
    makes on the contacted users' adoption within the horizon (users who adopted before
    their assignment left out, as the warehouse does).

    A responding user adopts because of the campaign unless they would have adopted
    within the horizon by themselves; so the true uplift is ``effect x (1 - baseline)``,
    the baseline being the adoption rate of the contacted users it did not act on (by
    randomization the same as the holdout's, measured on ten times more users)."""
    ts = adopt_ts[run.product, run.users]
    counted = ~((ts >= 0) & (ts < run.assigned_ts))
    within = (ts >= run.assigned_ts) & (ts < run.assigned_ts + CAMPAIGN_HORIZON_DAYS * DAY_S)
    within &= ts < end_ts
    untouched = counted & ~run.holdout & ~run.responds
    baseline = float(within[untouched].mean()) if untouched.any() else 0.0
    assigned_on = dt.date(1970, 1, 1) + dt.timedelta(days=int(run.assigned_ts.min()) // DAY_S)
    return {
        "product_id": run.plan.product_id,
        "assigned_on": assigned_on.isoformat(),
        "contacted": int((counted & ~run.holdout).sum()),
        "holdout": int((counted & run.holdout).sum()),
        "planted_effect": run.plan.effect,
        "adopted_because_of_campaign": int(run.adopted_by_campaign.sum()),
        "baseline_rate": round(baseline, 6),
        "true_uplift": round(run.plan.effect * (1 - baseline), 6),
    }


# --- Orchestration ----------------------------------------------------------------------
def _validate(users: int, days: int, products: int, seed: int, fmt: str, end_date: str) -> dt.date:
    """Check the arguments; return the parsed end date."""
    if not MIN_USERS <= users <= MAX_USERS:
        raise ValueError(f"users must be between {MIN_USERS} and {MAX_USERS}, got {users}")
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"days must be between {MIN_DAYS} and {MAX_DAYS}, got {days}")
    if not 1 <= products <= len(PRODUCTS):
        raise ValueError(f"products must be between 1 and {len(PRODUCTS)}, got {products}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    try:
        return dt.date.fromisoformat(end_date)
    except ValueError:
        raise ValueError(f"end date must look like 2026-10-31, got {end_date!r}") from None


def _mean_window_rate(
    adopt_ts: np.ndarray, signup_ts: np.ndarray, humans: np.ndarray, start_ts: int, days: int
) -> float:
    """Adopters in [d, d+28) / users eligible at d, averaged over the 28-day windows."""
    rates = []
    for d in range(0, days - WINDOW_DAYS + 1, WINDOW_DAYS):
        lo, hi = start_ts + d * DAY_S, start_ts + (d + WINDOW_DAYS) * DAY_S
        eligible = humans & (signup_ts < lo) & ((adopt_ts < 0) | (adopt_ts >= lo))
        adopters = eligible & (adopt_ts >= lo) & (adopt_ts < hi)
        rates.append(adopters.sum() / max(int(eligible.sum()), 1))
    return float(np.mean(rates))


def generate(
    out_dir: str | Path,
    *,
    users: int = 20_000,
    days: int = 270,
    products: int = DEFAULT_PRODUCTS,
    seed: int = 42,
    fmt: str = "parquet",
    end_date: str = DEFAULT_END_DATE,
    signal: float = 1.0,
    campaigns: bool = True,
    hazard_dates: Sequence[str] = (),
) -> dict[str, Any]:
    """Generate the demo world into ``out_dir``; return (and write) its manifest.

    ``signal`` scales every behavioral and social term of the adoption hazard (the
    ``B_*`` coefficients and the sweet spot): 1 is the world described above, 0.5 a world
    where what users do says half as much, 1.5 one where it says more. Demographics and
    the unobserved taste stay as they are. ``campaigns`` False runs no campaign (no fifth
    file): the world as it was before anyone used a target list.

    ``hazard_dates`` (ISO dates inside the window) writes ``hazards.parquet``, outside the
    warehouse's files: on each date, per product and user who can adopt that day, the
    logit of the adoption hazard (from the state up to the day before, as a snapshot's
    features), the unobserved taste in it, and ``exposure``: the hazard without the taste
    summed over the days before since the user could adopt (not adopting so far had the
    chance ``exp(-exp(taste) * exposure)``, which says something of the taste). The
    generator's own truth, for the quality benchmark's oracle; the world is the same with
    or without it."""
    end = _validate(users, days, products, seed, fmt, end_date)
    if not 0 <= signal <= 3:
        raise ValueError(f"signal must be between 0 and 3, got {signal}")
    start = end - dt.timedelta(days=days)
    start_ts = (start - dt.date(1970, 1, 1)).days * DAY_S
    end_ts = start_ts + days * DAY_S
    catalog = PRODUCTS[:products]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {name: f"{name}.{fmt}" for name in TABLES}
    dirty_rng = _rng(seed, ROLE_DIRTY)

    pop = _build_population(seed, users, start_ts, end_ts)
    edges = _build_edges(seed, pop, start_ts, end_ts)
    per_kind = _dirty_count(DIRTY_EVENTS_PER_USER, users)
    kinds = len(ISSUE_CODES["events"]) - 1
    events = _TableWriter(out / files["events"], EVENT_SCHEMA, fmt)
    in_catalog = {product.product_id for product in catalog}
    plans = [
        plan
        for plan in (CAMPAIGNS if campaigns else ())
        if plan.product_id in in_catalog and plan.days_before_end < days
    ]
    hazard_days = sorted({(dt.date.fromisoformat(day) - start).days for day in hazard_dates})
    if hazard_days and not 0 <= hazard_days[0] <= hazard_days[-1] < days:
        raise ValueError(
            f"hazard_dates must lie from {start} to {end - dt.timedelta(days=1)},"
            f" got {sorted(hazard_dates)}"
        )
    sim = _simulate(
        seed,
        pop,
        edges,
        catalog,
        days,
        start_ts,
        per_kind * kinds,
        events,
        signal,
        plans,
        hazard_days,
    )

    user_rows, user_issues, fresh_ids = _dirty_users(dirty_rng, pop, end_ts)
    n_bots = int((pop.bot_kind > 0).sum())
    user_issues["bot_user"] = n_bots
    unknown = users + fresh_ids
    event_rows, event_issues, used = _dirty_events(dirty_rng, sim, pop, per_kind, unknown, end_ts)
    unknown += used
    event_issues["bot_user"] = sim.bot_events
    events.write(event_rows)
    events.close()

    rows = {
        "users": _write_table(out / files["users"], pa.concat_tables([pop.table, user_rows]), fmt)
    }
    rows["events"] = events.rows
    edge_rows, edge_issues, used = _dirty_connections(
        dirty_rng, pop, edges, unknown, start_ts, end_ts
    )
    unknown += used
    a, b, ts = edges
    clean_edges = pa.Table.from_arrays(
        [_lookup(pop.ids, a), _lookup(pop.ids, b), _format_ts(ts)], schema=CONNECTION_SCHEMA
    )
    rows["connections"] = _write_table(
        out / files["connections"], pa.concat_tables([clean_edges, edge_rows]), fmt
    )

    product_of, user_of = np.nonzero(sim.adopt_ts >= 0)
    adopted_at = sim.adopt_ts[product_of, user_of]
    order = np.lexsort((product_of, user_of, adopted_at))
    clean = (user_of[order], product_of[order], adopted_at[order])
    adoption_rows, adoption_issues, _ = _dirty_adoptions(
        dirty_rng, pop, clean, catalog, unknown, start_ts, end_ts
    )
    clean_adoptions = pa.Table.from_arrays(
        [
            _lookup(pop.ids, clean[0]),
            _lookup(_vocab([p.product_id for p in catalog]), clean[1]),
            _format_ts(clean[2]),
        ],
        schema=ADOPTION_SCHEMA,
    )
    rows["adoptions"] = _write_table(
        out / files["adoptions"], pa.concat_tables([clean_adoptions, adoption_rows]), fmt
    )
    tables = TABLES
    if sim.campaigns:
        tables += (CAMPAIGN_TABLE,)
        files[CAMPAIGN_TABLE] = f"{CAMPAIGN_TABLE}.{fmt}"
        clean_assignments = _campaign_table(sim.campaigns, pop)
        campaign_rows, campaign_issues, _ = _dirty_campaigns(
            dirty_rng, pop, clean_assignments, unknown, end_ts
        )
        rows[CAMPAIGN_TABLE] = _write_table(
            out / files[CAMPAIGN_TABLE],
            pa.concat_tables([clean_assignments, campaign_rows]),
            fmt,
        )

    humans = pop.bot_kind == 0
    clean_counts = {
        "users": users - n_bots,
        "events": sim.clean_events,
        "connections": len(a),
        "adoptions": len(clean[0]),
    }
    issues = {
        "users": user_issues,
        "events": event_issues,
        "connections": edge_issues,
        "adoptions": adoption_issues,
    }
    if sim.campaigns:
        clean_counts[CAMPAIGN_TABLE] = clean_assignments.num_rows
        issues[CAMPAIGN_TABLE] = campaign_issues
    manifest: dict[str, Any] = {
        "generator": "targeting.demo",
        "params": {
            "users": users,
            "days": days,
            "products": products,
            "seed": seed,
            "format": fmt,
            "end_date": end.isoformat(),
            "start_date": start.isoformat(),
            "signal": signal,
            "campaigns": campaigns,
        },
        "files": files,
        "rows": rows,
        "dq_issues": {
            table: {"clean": clean_counts[table]}
            | {code: issues[table][code] for code in ISSUE_CODES[table]}
            for table in tables
        },
        "products": {
            product.product_id: {
                "adopters": int((sim.adopt_ts[k] >= 0).sum()),
                "early_adopters": len(sim.early[k]),
                "related_features": list(product.related_features),
                "cold_start": product.cold_start,
                "mean_28d_adoption_rate": round(
                    _mean_window_rate(sim.adopt_ts[k], pop.signup_ts, humans, start_ts, days), 6
                ),
            }
            for k, product in enumerate(catalog)
        },
        "campaigns": {
            run.plan.campaign_id: _campaign_truth(run, sim.adopt_ts, end_ts)
            for run in sim.campaigns
        },
    }
    for table in tables:
        if sum(manifest["dq_issues"][table].values()) != rows[table]:
            raise RuntimeError(f"{table}: clean + issues does not add up to the rows written")
    if hazard_days:
        manifest["hazards"] = HAZARD_FILE
        _write_hazards(out / HAZARD_FILE, sim.hazards, pop, catalog, start)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _write_hazards(
    path: Path,
    hazards: Sequence[tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    pop: _Population,
    catalog: Sequence[Product],
    start: dt.date,
) -> None:
    """The recorded hazards as a table: one row per day, product and user who could adopt."""
    parts = [
        pa.table(
            {
                "snapshot_date": pa.array([start + dt.timedelta(days=day)] * len(idx), pa.date32()),
                "product_id": pa.array([catalog[k].product_id] * len(idx), pa.string()),
                "user_id": _lookup(pop.ids, idx),
                "hazard_logit": pa.array(logit, pa.float64()),
                "taste": pa.array(taste, pa.float64()),
                "exposure": pa.array(exposure, pa.float64()),
            }
        )
        for day, k, idx, logit, taste, exposure in hazards
    ]
    pq.write_table(pa.concat_tables(parts), path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m targeting.demo",
        description="Generate the seeded demo world (the raw tables + manifest.json).",
    )
    parser.add_argument("--users", type=int, default=20_000, help="users (default 20000)")
    parser.add_argument("--days", type=int, default=270, help="days in the window (default 270)")
    parser.add_argument(
        "--products",
        type=int,
        default=DEFAULT_PRODUCTS,
        help=f"products, 1-{len(PRODUCTS)} (default {DEFAULT_PRODUCTS}; the 4th is cold-start)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--signal",
        type=float,
        default=1.0,
        help="strength of the behavioral and social signal, 0-3 (default 1)",
    )
    parser.add_argument(
        "--campaigns",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the demo campaigns and write their assignments (default: yes)",
    )
    parser.add_argument("--out", default="data/raw", help="output folder (default data/raw)")
    parser.add_argument("--format", default="parquet", help="parquet (default) or csv")
    parser.add_argument(
        "--end-date",
        default=DEFAULT_END_DATE,
        help=f"first day after the window (default {DEFAULT_END_DATE})",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit code (argument errors exit with 2)."""
    parser = _parser()
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        manifest = generate(
            args.out,
            users=args.users,
            days=args.days,
            products=args.products,
            seed=args.seed,
            fmt=args.format,
            end_date=args.end_date,
            signal=args.signal,
            campaigns=args.campaigns,
        )
    except ValueError as error:
        parser.error(str(error))
    rows = " ".join(f"{t}={n:,}" for t, n in manifest["rows"].items())
    adopters = " ".join(f"{p}={v['adopters']}" for p, v in manifest["products"].items())
    seconds = time.perf_counter() - began
    print(f"targeting.demo: {rows} | adopters {adopters} | {seconds:.1f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
