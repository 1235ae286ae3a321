"""Synthetic content-farm sites: real articles wrapped in invented site templates.

The real corpora hold few pages of the scraper/content-farm kind: a genuine article copied into a
site's template, surrounded by lists of *off-topic* headlines (related, trending, most read …),
inline teasers, counters, share bars and footers. This module builds such sites at run time from
real text (article bodies and headlines read from the corpora; nothing from them is stored here)
and invented template vocabularies, and labels every line:

* the page's own headline → ``title``;
* the article paragraphs (possibly hard-wrapped) → ``article``;
* sidebar list items, inline teasers ("READ MORE: …") and previous/next links → ``link``;
* everything else (nav, breadcrumbs, dates, bylines, counters, list headers, share bars, tags,
  cookie and newsletter lines, comments, footers, disclaimers) → ``boilerplate``.

Each site draws a :class:`SiteStyle` from many independent choices; its pages repeat the template
lines exactly, with changing counters, dates, sections and a rotating subset of the site's
headline pool, so the same headlines recur across the site's pages.

Usage::

    pool = SourcePool.from_corpora(Path("../shared/corpora"))
    samples = list(generate_sites(pool, sites=50, seed=0))

    python -m classify.synth --corpora ../shared/corpora --sites 50 --seed 0 -o out.jsonl.gz
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from classify.corpus import read_corpus_records
from classify.records import LABELS, Label, LabelledPage, Line, Page

__all__ = [
    "HEADLINE_CORPORA",
    "PAGE_CORPORA",
    "PageChrome",
    "SidebarList",
    "SiteStyle",
    "SourceArticle",
    "SourcePool",
    "draw_page_chrome",
    "draw_style",
    "generate_site",
    "generate_sites",
    "main",
    "site_split",
]

# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------

ArticleFilter = Callable[[dict[str, Any]], bool]
"""Decides per corpus record (a dict with ``source``, ``id``, ``site``, ``url`` …) whether its
article may be used; lets callers keep train and held-out articles apart."""

_WS = re.compile(r"\s+")
_ALNUM = re.compile(r"[^\W_]")
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TITLE_SPLIT = re.compile(r"\s+(?:[-|–—]|::)\s+")
_MIN_PARAGRAPHS = 4
PAGE_CORPORA = ("wcxb_dev.jsonl.gz", "cleaneval.jsonl.gz", "cleanportal.jsonl.gz")
"""Page corpora whose ``truth`` supplies articles (and, for WCXB, ``title`` headlines)."""
HEADLINE_CORPORA = ("clickbait_chakraborty.jsonl.gz",)
"""Headline corpora (records with ``text``)."""
_MIN_PROSE_PARAGRAPHS = 3
_PROSE_WORDS = 12


@dataclass(frozen=True, slots=True)
class SourceArticle:
    """A real article: its headline, its paragraphs in order, and where it came from."""

    title: str
    paragraphs: tuple[str, ...]
    source_id: str


@dataclass(frozen=True, slots=True)
class SourcePool:
    """Real text to build sites from: articles, and off-topic headlines for lists and teasers."""

    articles: tuple[SourceArticle, ...]
    headlines: tuple[str, ...]

    @classmethod
    def from_corpora(
        cls,
        corpora_dir: str | Path,
        *,
        articles_filter: ArticleFilter | None = None,
        headline_filter: Callable[[str], bool] | None = None,
        max_paragraphs: int = 40,
        page_corpora: Sequence[str] = PAGE_CORPORA,
        headline_corpora: Sequence[str] = HEADLINE_CORPORA,
    ) -> SourcePool:
        """Load articles and headlines from the shared corpora folder.

        Articles are the ``truth`` of WCXB ``article`` pages, CleanEval and CleanPortalEval pages
        with at least four paragraphs, three of them prose; at most ``max_paragraphs`` are kept.
        Headlines are the Chakraborty clickbait/news headlines plus WCXB titles.
        ``articles_filter`` (per corpus record) restricts the articles and the WCXB titles used as
        headlines; ``headline_filter`` restricts every headline. Missing corpus files are
        skipped; ``page_corpora``/``headline_corpora`` name the files to read.
        """
        root = Path(corpora_dir)
        if not root.is_dir():
            raise FileNotFoundError(f"no corpora folder: {root}")
        articles: list[SourceArticle] = []
        headlines: list[str] = []
        for name in page_corpora:
            path = root / name
            if not path.exists():
                continue
            for record in read_corpus_records(path):
                if articles_filter is not None and not articles_filter(record):
                    continue
                wcxb_title = record.get("title")
                if isinstance(wcxb_title, str):
                    headlines.append(wcxb_title)
                article = _article_from_record(record, max_paragraphs)
                if article is not None:
                    articles.append(article)
        for name in headline_corpora:
            path = root / name
            if path.exists():
                headlines.extend(str(r.get("text", "")) for r in read_corpus_records(path))
        cleaned = _clean_headlines(headlines)
        if headline_filter is not None:
            cleaned = [h for h in cleaned if headline_filter(h)]
        if not articles or not cleaned:
            raise ValueError(
                f"{root}: found {len(articles)} articles and {len(cleaned)} headlines; need both"
            )
        return cls(articles=tuple(articles), headlines=tuple(cleaned))


def site_split(part: str, *, held_out_percent: int | None = None) -> ArticleFilter:
    """An ``articles_filter`` keeping the ``train`` or ``heldout`` sites of the corpora.

    Uses the project's split (:func:`classify.corpus.site_split`, a stable hash of the site), so
    synthetic training pages never carry text of held-out corpus sites.
    """
    from classify.corpus import site_split as corpus_site_split

    if part not in ("train", "heldout"):
        raise ValueError(f"part must be 'train' or 'heldout', got {part!r}")

    def keep(record: dict[str, Any]) -> bool:
        site = record.get("site")
        site = str(site) if site is not None else None
        if held_out_percent is None:
            return corpus_site_split(site) == part
        return corpus_site_split(site, held_out_percent) == part

    return keep


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _article_from_record(record: dict[str, Any], max_paragraphs: int) -> SourceArticle | None:
    source = str(record.get("source", ""))
    if source == "wcxb_dev" and record.get("page_type") != "article":
        return None
    if record.get("no_article"):
        return None
    truth = record.get("truth")
    if not isinstance(truth, str):
        return None
    paragraphs = [_norm(p) for p in truth.splitlines()]
    paragraphs = [p for p in paragraphs if _ALNUM.search(p)]
    if len(paragraphs) < _MIN_PARAGRAPHS:
        return None
    raw_title = record.get("title")
    if isinstance(raw_title, str) and raw_title.strip():
        title = _norm(raw_title)
    elif _looks_like_title(paragraphs[0]):
        title = paragraphs.pop(0)
    else:
        title = _html_title(str(record.get("html") or ""))
    if not title:
        return None
    paragraphs = [p for p in paragraphs if p != title][:max_paragraphs]
    prose = sum(1 for p in paragraphs if len(p.split()) >= _PROSE_WORDS)
    if len(paragraphs) < _MIN_PARAGRAPHS or prose < _MIN_PROSE_PARAGRAPHS:
        return None
    return SourceArticle(
        title=title, paragraphs=tuple(paragraphs), source_id=f"{source}:{record.get('id', '')}"
    )


def _looks_like_title(text: str) -> bool:
    words = text.split()
    return (
        3 <= len(words) <= 20 and len(text) <= 150 and not text.endswith(".") and "__" not in text
    )


def _html_title(page_html: str) -> str:
    match = _HTML_TITLE.search(page_html)
    if match is None:
        return ""
    parts = _TITLE_SPLIT.split(_norm(html.unescape(match.group(1))))
    best = max(parts, key=len) if parts else ""
    return best if len(best.split()) >= 3 else ""


def _clean_headlines(texts: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for raw in texts:
        text = _norm(raw)
        if not 20 <= len(text) <= 200 or len(text.split()) < 3 or text in seen:
            continue
        seen.add(text)
        out.append(text)
    return out


# --------------------------------------------------------------------------------------------
# Template vocabularies (invented; per locale)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Vocab:
    """Template words of one locale. ``{h}`` headline, ``{a}`` author, ``{s}`` source agency,
    ``{name}``/``{domain}`` the site, ``{year}``/``{y0}`` years, ``{n}``/``{r}`` counter numbers,
    ``{c}`` a comment count, ``{m}`` reading minutes."""

    home: tuple[str, ...]
    crumb_prefixes: tuple[str, ...]
    sections: tuple[str, ...]
    list_headers: tuple[str, ...]
    more_from: tuple[str, ...]
    teasers: tuple[str, ...]
    prev: tuple[str, ...]
    next: tuple[str, ...]
    date_prefixes: tuple[str, ...]
    date_formats: tuple[str, ...]
    relative_dates: tuple[str, ...]
    bylines: tuple[str, ...]
    sources: tuple[str, ...]
    share_lines: tuple[str, ...]
    share_items: tuple[str, ...]
    tag_prefixes: tuple[str, ...]
    tags: tuple[str, ...]
    ads: tuple[str, ...]
    cookies: tuple[str, ...]
    cookie_buttons: tuple[str, ...]
    newsletters: tuple[str, ...]
    newsletter_buttons: tuple[str, ...]
    footer_links: tuple[str, ...]
    copyrights: tuple[str, ...]
    disclaimers: tuple[str, ...]
    comments: tuple[str, ...]
    logins: tuple[str, ...]
    taglines: tuple[str, ...]
    bios: tuple[str, ...]
    reading: tuple[str, ...]
    tools: tuple[str, ...]
    photo_credits: tuple[str, ...]
    counters: tuple[str, ...]
    staff: tuple[str, ...]


# fmt: off
_EN = _Vocab(
    home=("Home", "Homepage", "Front Page", "Start", "Main"),
    crumb_prefixes=("", "", "You are here: ", "Location: ", "Position: ", "Path: ", "Browse: "),
    sections=(
        "World", "Business", "Tech", "Technology", "Science", "Health", "Sports", "Entertainment",
        "Politics", "Lifestyle", "Travel", "Opinion", "Local", "Economy", "Culture", "Markets",
        "Autos", "Education", "Food", "Society", "Crime", "Environment", "Money", "Celebrity",
        "Weird News", "US News", "Asia", "Europe", "Finance", "Scams", "Viral", "Gadgets",
        "Real Estate", "Weather", "Investigations", "Features", "Breaking",
    ),
    list_headers=(
        "Related", "Related Articles", "Related Stories", "Related News", "Hot", "Hot News",
        "Hot Topics", "Trending", "Trending Now", "Most Read", "Most Popular", "Popular",
        "Popular Posts", "Recommended for you", "You may also like", "You Might Also Like",
        "Editor's Picks", "Latest News", "Latest", "Latest Posts", "Don't Miss", "Top Stories",
        "Must Read", "More Stories", "In Case You Missed It", "What's New", "Featured",
        "Around the Web", "Top Picks", "More News", "Recent Posts", "Most Viewed", "Most Shared",
        "Spotlight", "Hot Right Now", "Reader Favorites", "Further Reading", "More to Explore",
        "Fresh Stories", "Today's Highlights", "Breaking News", "Also Worth Reading",
    ),
    more_from=("More from {name}", "More on {name}", "Also on {name}", "{name} Highlights"),
    teasers=(
        "READ MORE: {h}", "Read more: {h}", "Also read: {h}", "ALSO READ: {h}", "Related: {h}",
        "RELATED: {h}", "SEE ALSO: {h}", "See also: {h}", "Read also: {h}",
        "RELATED STORY: {h}", "MORE: {h}", "Don't miss: {h}", "Must read: {h}", "WATCH: {h}",
        "Recommended: {h}", "Related Article: {h}", "Click here to read: {h}", ">> {h}", "► {h}",
    ),
    prev=(
        "Previous article: {h}", "Previous: {h}", "« Previous post: {h}", "Prev: {h}", "← {h}",
        "PREVIOUS ARTICLE: {h}", "Older post: {h}",
    ),
    next=(
        "Next article: {h}", "Next: {h}", "Next post: {h} »", "{h} →", "Up next: {h}",
        "NEXT ARTICLE: {h}", "Newer post: {h}",
    ),
    date_prefixes=(
        "", "", "", "Published: ", "Posted on ", "Updated: ", "Date: ", "Date:", "Time: ",
        "Published on ", "Last updated: ", "Posted: ", "🕒 ",
    ),
    date_formats=(
        "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%B %d, %Y", "%b %d, %Y %I:%M %p",
        "%d/%m/%Y %H:%M", "%m/%d/%Y", "%A, %B %d, %Y", "%d %B %Y", "%Y/%m/%d",
        "%d.%m.%Y %H:%M", "%b. %d, %Y", "%B %d, %Y at %H:%M", "%a %d %b %Y %H.%M", "%REL",
    ),
    relative_dates=("{n} hours ago", "{n} days ago", "{n}h ago", "{n} minutes ago"),
    bylines=(
        "By {a}", "BY {A}", "Author: {a}", "Written by {a}", "{a}, Staff Writer", "By {a} | {name}",
        "Reporter: {a}", "Posted by {a}", "By {a}, Contributor", "Story by {a}",
        "{a} | Senior Editor", "Editor: {a}",
    ),
    sources=(
        "Source: {s}", "Source: {s} | Editor: {a}", "Via {s}", "Originally published by {s}",
        "Credit: {s}", "Source link: {s}", "Content source: {s}", "(Source: {s})",
    ),
    share_lines=(
        "Share: Facebook | Twitter | WhatsApp | Email", "Share this article",
        "Facebook Twitter LinkedIn Reddit Email", "Share this story", "f  𝕏  in  ✉",
        "Share on Facebook   Share on X", "SHARE THIS", "Share via: Email | Messenger | Copy link",
    ),
    share_items=(
        "Share", "Facebook", "Twitter", "X", "WhatsApp", "Telegram", "LinkedIn", "Reddit",
        "Pinterest", "Email", "Copy link", "Print", "Tweet", "Pin it", "Flipboard",
    ),
    tag_prefixes=(
        "Tags: ", "Topics: ", "Keywords: ", "Filed under: ", "TAGS: ", "Tagged: ", "More about: ",
    ),
    tags=(
        "economy", "markets", "politics", "health", "technology", "science", "sports", "travel",
        "business", "climate", "education", "entertainment", "celebrity", "crime", "energy",
        "finance", "food", "lifestyle", "world news", "local news", "elections", "weather",
        "startups", "real estate", "automotive", "culture", "music", "film", "space", "security",
    ),
    ads=(
        "Advertisement", "ADVERTISEMENT", "Sponsored", "Story continues below advertisement",
        "Continue reading below", "— Advertisement —", "Ad", "Sponsored Content",
        "Scroll to continue with content", "Article continues below",
    ),
    cookies=(
        "We use cookies to improve your experience. By continuing to browse, you agree to our "
        "use of cookies.",
        "This website uses cookies to ensure you get the best experience on our website.",
        "We and our partners use cookies to personalise content and ads and to analyse traffic.",
        "By using this site, you agree to our Privacy Policy and Terms of Use.",
        "Our site uses cookies. Learn more about our use of cookies in our cookie policy.",
    ),
    cookie_buttons=(
        "Accept", "Accept all", "OK", "Got it!", "I agree", "Manage preferences", "Learn more",
    ),
    newsletters=(
        "Sign up for our newsletter to get the latest stories delivered to your inbox.",
        "Get the day's top headlines in your inbox every morning.",
        "Subscribe to our daily briefing and never miss a story.",
        "Join thousands of readers who get our free newsletter.",
        "Stay informed with the {name} newsletter.",
        "Enter your email address",
    ),
    newsletter_buttons=("Subscribe", "Sign up", "Sign Up Now", "Subscribe now", "Join"),
    footer_links=(
        "About Us", "Contact", "Contact Us", "Privacy Policy", "Terms of Use", "Terms of Service",
        "Advertise", "Advertise with us", "Careers", "Sitemap", "Cookie Policy", "RSS",
        "Editorial Policy", "Corrections", "Help", "Disclaimer", "DMCA",
    ),
    copyrights=(
        "© {year} {name}. All rights reserved.",
        "Copyright © {y0}-{year} {domain}. All Rights Reserved.",
        "Copyright {year} {name} Media Group", "© {name} {year}",
        "All rights reserved © {year} {name}",
        "© Copyright {year}, {name}", "{name} © {year}",
    ),
    disclaimers=(
        "Disclaimer: The views expressed in this article are those of the author and do not "
        "necessarily reflect the views of {name}.",
        "This content is provided for informational purposes only and does not constitute "
        "financial advice.",
        "{name} is not responsible for the content of external sites.",
        "All content on this site is collected from the internet. If any content infringes your "
        "rights, please contact us and we will remove it promptly.",
        "Reproduction of any material from this website without written permission is strictly "
        "prohibited.",
        "The information on this site is updated regularly, but we cannot guarantee that it is "
        "complete or accurate.",
        "Some links on this page are affiliate links, which means we may earn a small commission "
        "at no extra cost to you.",
        "Articles on {name} are republished from partner sources with permission.",
    ),
    comments=(
        "Comments ({c})", "{c} Comments", "Leave a Reply", "Leave a comment",
        "Your email address will not be published. Required fields are marked *", "Post Comment",
        "Add a comment", "Be the first to comment", "Join the conversation",
        "Comments are closed.", "You must be logged in to post a comment.",
    ),
    logins=(
        "Log in", "Sign in", "Register", "Subscribe", "Search", "Menu", "Log in | Register",
        "Search...", "☰ Menu", "Sign In / Sign Up", "Get the App", "Newsletter",
    ),
    taglines=(
        "Your daily dose of news", "News that matters", "Breaking news, every hour",
        "Stories worth sharing", "All the news, all the time",
        "Fresh headlines from around the world", "The smart way to stay informed",
        "Independent news since {y0}", "Where the world comes to read",
    ),
    bios=(
        "{a} is a staff writer at {name} covering {topic}.",
        "{a} has been reporting on {topic} for more than a decade.",
        "About the author: {a} writes about {topic} for {name}.",
        "{a} is a freelance journalist based in {city}.",
        "Follow {a} for more stories about {topic}.",
    ),
    reading=(
        "{m} min read", "Reading time: {m} minutes", "{m} minutes to read", "⏱ {m} min",
        "Estimated reading time: {m} min",
    ),
    tools=(
        "Print", "Font size: A A A", "Listen to this article", "Save", "Bookmark", "Text size",
        "Email this", "A+ A-", "Save for later", "Listen", "Gift this article", "View", "Views",
        "Share", "Like", "Follow", "Comment", "Reply", "Watch", "Play", "Translate", "Report",
        "Show more", "Expand", "Zoom", "Download", "Copy", "Favorite", "Subscribe", "Vote",
    ),
    photo_credits=(
        "Photo: {s}", "(Photo: {s})", "Image: {s}", "File photo", "Image credit: {s}",
        "Photo courtesy of {s}", "Representational image",
    ),
    counters=(
        "👍 {n}", "Views: {n:,}", "Like ({n})", "wow! ({n})", "☆ {r} ({n} reviews)", "💬 {n}",
        "{n:,} views", "Shares: {n}", "❤ {n}", "👁 {n:,}", "Read {n:,} times", "Hits: {n}",
        "{n} likes", "Helpful ({n})", "🔥 {n}", "Great! ({n})", "Votes: {n}", "Amazing ({n})",
        "Interesting! ({n})", "★ {r}/5 ({n} votes)", "Page views: {n:,}",
        "{n} people found this helpful", "Clicks: {n}",
    ),
    staff=("{name} Staff", "Staff Reporter", "News Desk", "Web Desk", "{name} Editorial Team"),
)

_ZH = replace(
    _EN,
    home=("首页", "网站首页", "主页"),
    crumb_prefixes=("", "当前位置：", "位置：", "您的位置："),
    sections=("新闻", "国际", "财经", "科技", "体育", "娱乐", "社会", "健康", "汽车", "教育",
              "旅游", "文化", "军事", "房产"),
    list_headers=("相关阅读", "热门文章", "推荐阅读", "最新文章", "猜你喜欢", "热点新闻",
                  "相关文章", "精彩推荐", "今日头条", "热门资讯"),
    more_from=("更多{name}内容",),
    teasers=("推荐阅读：{h}", "相关阅读：{h}", "延伸阅读：{h}", "点击阅读：{h}"),
    prev=("上一篇：{h}", "上一篇 {h}"),
    next=("下一篇：{h}", "下一篇 {h}"),
    date_prefixes=("发布时间：", "时间：", "", "日期："),
    date_formats=("%Y-%m-%d %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y/%m/%d", "%Y-%m-%d"),
    bylines=("作者：{a}", "编辑：{a}", "责任编辑：{a}", "作者：{a} 编辑：{name}"),
    sources=("来源：{s}", "来源：{s} 编辑：{a}", "文章来源：{s}"),
    share_lines=("分享到：微信 微博 QQ", "分享到", "一键分享"),
    share_items=("分享", "微信", "微博", "QQ空间", "复制链接"),
    tag_prefixes=("标签：", "关键词：", "Tags: "),
    ads=("广告", "Advertisement"),
    cookies=("本网站使用Cookie以提升您的浏览体验。继续浏览即表示您同意我们使用Cookie。",),
    cookie_buttons=("同意", "接受", "我知道了"),
    newsletters=("订阅我们的新闻简报，获取最新资讯。", "关注我们的公众号，获取更多精彩内容。"),
    newsletter_buttons=("订阅", "立即订阅"),
    footer_links=("关于我们", "联系我们", "隐私政策", "免责声明", "网站地图", "广告服务",
                  "版权声明", "投稿"),
    copyrights=("© {year} {name} 版权所有", "Copyright © {y0}-{year} {domain} All Rights Reserved",
                "版权所有 © {name}"),
    disclaimers=("本站内容来源于网络，如有侵权请联系删除。", "本文仅代表作者观点，不代表本站立场。",
                 "未经授权禁止转载，违者必究。", "本站所有文章均为转载，版权归原作者所有。"),
    comments=("评论（{c}）", "发表评论", "网友评论", "已有{c}人参与评论"),
    logins=("登录", "注册", "搜索", "登录 | 注册"),
    taglines=("每日新闻精选", "资讯尽在掌握"),
    reading=("阅读时间：{m}分钟",),
    tools=("打印", "收藏", "字号：大 中 小"),
    photo_credits=("图片来源：{s}", "图片来自网络"),
    counters=("阅读 {n}", "点赞 {n}", "浏览次数：{n}", "评论 {n}", "👍 {n}", "阅读量：{n:,}",
              "💬 {n}", "赞({n})"),
    staff=("本站编辑", "{name}编辑部"),
)

_DE = replace(
    _EN,
    home=("Startseite", "Home"),
    crumb_prefixes=("", "Sie sind hier: "),
    sections=("Politik", "Wirtschaft", "Panorama", "Sport", "Kultur", "Wissen", "Digital",
              "Reise", "Gesundheit", "Auto", "Regional", "Ausland"),
    list_headers=("Mehr zum Thema", "Meistgelesen", "Auch interessant", "Neueste Artikel",
                  "Das könnte Sie interessieren", "Top-Themen", "Weitere Artikel", "Beliebt"),
    more_from=("Mehr von {name}", "Weitere Nachrichten von {name}"),
    teasers=("Lesen Sie auch: {h}", "Auch interessant: {h}", "Mehr dazu: {h}",
             "LESEN SIE AUCH: {h}"),
    prev=("Vorheriger Artikel: {h}", "Zurück: {h}"),
    next=("Nächster Artikel: {h}", "Weiter: {h}"),
    date_prefixes=("", "Veröffentlicht am ", "Stand: ", "Aktualisiert: "),
    date_formats=("%d.%m.%Y, %H:%M Uhr", "%d.%m.%Y", "%d.%m.%Y %H:%M"),
    bylines=("Von {a}", "Autor: {a}", "Ein Beitrag von {a}"),
    sources=("Quelle: {s}", "Quelle: {s} / {a}"),
    share_lines=("Teilen: Facebook | Twitter | E-Mail", "Artikel teilen", "Teilen"),
    tag_prefixes=("Schlagworte: ", "Themen: ", "Tags: "),
    ads=("Anzeige", "Werbung", "ANZEIGE"),
    footer_links=("Impressum", "Datenschutz", "Kontakt", "AGB", "Über uns", "Mediadaten",
                  "Cookie-Einstellungen"),
    copyrights=("© {year} {name}. Alle Rechte vorbehalten.", "Copyright © {y0}-{year} {domain}"),
    disclaimers=(
        "Die Inhalte dieser Seite dienen ausschließlich der Information und stellen keine "
        "Anlageberatung dar.",
        "Für die Inhalte externer Links übernimmt {name} keine Haftung.",
    ),
    comments=("Kommentare ({c})", "Kommentar schreiben", "{c} Kommentare"),
    logins=("Anmelden", "Suche", "Registrieren", "Menü"),
    counters=(*_EN.counters[:8], "Aufrufe: {n:,}", "Gefällt mir ({n})", "{n} Kommentare"),
    staff=("Redaktion", "{name} Redaktion"),
)

_ES = replace(
    _EN,
    home=("Inicio", "Portada"),
    crumb_prefixes=("", "Estás en: "),
    sections=("Internacional", "Economía", "Deportes", "Cultura", "Tecnología", "Sociedad",
              "Salud", "Política", "Opinión", "Viajes", "Ciencia", "Gente"),
    list_headers=("Relacionadas", "Lo más leído", "Te puede interesar", "Últimas noticias",
                  "Más noticias", "Tendencias", "Lo más visto", "Destacados"),
    more_from=("Más de {name}", "Más noticias en {name}"),
    teasers=("LEA TAMBIÉN: {h}", "Te puede interesar: {h}", "Relacionado: {h}", "Lee más: {h}"),
    prev=("Artículo anterior: {h}", "Anterior: {h}"),
    next=("Siguiente artículo: {h}", "Siguiente: {h}"),
    date_prefixes=("", "Publicado: ", "Actualizado: ", "Fecha: "),
    date_formats=("%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M"),
    bylines=("Por {a}", "Autor: {a}", "Redacción: {a}"),
    sources=("Fuente: {s}", "Fuente: {s} | {a}"),
    share_lines=("Compartir: Facebook | Twitter | WhatsApp", "Compartir", "Comparte esta noticia"),
    tag_prefixes=("Etiquetas: ", "Temas: ", "Tags: "),
    ads=("Publicidad", "PUBLICIDAD", "Anuncio"),
    footer_links=("Quiénes somos", "Contacto", "Aviso legal", "Política de privacidad",
                  "Política de cookies", "Publicidad"),
    copyrights=("© {year} {name}. Todos los derechos reservados.",
                "Copyright © {y0}-{year} {domain}"),
    disclaimers=(
        "Queda prohibida la reproducción total o parcial de los contenidos sin autorización.",
        "{name} no se hace responsable de las opiniones expresadas por los autores.",
    ),
    comments=("Comentarios ({c})", "Deja un comentario", "{c} comentarios"),
    logins=("Iniciar sesión", "Buscar", "Registrarse", "Menú"),
    counters=(*_EN.counters[:8], "Visitas: {n:,}", "Me gusta ({n})", "{n} comentarios"),
    staff=("Redacción", "Redacción {name}"),
)

_FR = replace(
    _EN,
    home=("Accueil",),
    crumb_prefixes=("", "Vous êtes ici : "),
    sections=("International", "Économie", "Sport", "Culture", "Société", "Politique",
              "Santé", "Sciences", "Tech", "Planète", "Faits divers", "Régions"),
    list_headers=("À lire aussi", "Les plus lus", "Sur le même sujet", "Dernières actualités",
                  "Vous aimerez aussi", "À la une", "Les plus partagés", "En ce moment"),
    more_from=("Plus de {name}", "Toute l'actualité {name}"),
    teasers=("LIRE AUSSI : {h}", "À lire aussi : {h}", "Voir aussi : {h}", "Lire aussi : {h}"),
    prev=("Article précédent : {h}", "Précédent : {h}"),
    next=("Article suivant : {h}", "Suivant : {h}"),
    date_prefixes=("", "Publié le ", "Mis à jour le ", "Le "),
    date_formats=("%d/%m/%Y à %Hh%M", "%d/%m/%Y", "%d/%m/%Y %H:%M"),
    bylines=("Par {a}", "Auteur : {a}", "Rédigé par {a}"),
    sources=("Source : {s}", "Source : {s} | {a}"),
    share_lines=("Partager : Facebook | Twitter | E-mail", "Partager", "Partager cet article"),
    tag_prefixes=("Mots-clés : ", "Thèmes : ", "Tags : "),
    ads=("Publicité", "PUBLICITÉ"),
    footer_links=("Mentions légales", "Contact", "Qui sommes-nous", "Politique de confidentialité",
                  "Gestion des cookies", "CGU"),
    copyrights=("© {year} {name}. Tous droits réservés.", "Copyright © {y0}-{year} {domain}"),
    disclaimers=(
        "Toute reproduction, même partielle, est interdite sans l'accord de l'éditeur.",
        "Les opinions exprimées dans cet article n'engagent que leur auteur.",
    ),
    comments=("Commentaires ({c})", "Laisser un commentaire", "{c} commentaires"),
    logins=("Se connecter", "Rechercher", "S'abonner", "Menu"),
    counters=(*_EN.counters[:8], "Vues : {n:,}", "J'aime ({n})", "{n} commentaires"),
    staff=("La rédaction", "Rédaction {name}"),
)

_LOCALES: tuple[tuple[str, _Vocab, float], ...] = (
    ("en", _EN, 0.72),
    ("zh", _ZH, 0.10),
    ("de", _DE, 0.06),
    ("es", _ES, 0.06),
    ("fr", _FR, 0.06),
)

_NAME_HEADS = (
    "daily", "hot", "top", "global", "metro", "prime", "insta", "buzz", "quick", "smart", "true",
    "urban", "first", "bright", "open", "fresh", "rapid", "star", "blue", "golden", "red",
    "silver", "north", "pacific", "city", "world", "nation", "trend", "viral", "info", "media",
    "my", "the", "your", "super", "mega", "instant", "alpha", "nova", "zen", "peak", "summit",
    "coast", "river", "sun", "moon", "planet", "pixel", "echo", "lucky", "wise", "bold",
)
_NAME_CORES = (
    "news", "wire", "post", "times", "buzz", "daily", "feed", "hub", "digest", "report",
    "ledger", "pulse", "beat", "gazette", "herald", "chronicle", "journal", "today", "review",
    "insider", "scoop", "tribune", "bulletin", "dispatch", "express", "observer", "monitor",
    "courier", "sentinel", "press", "stories", "headlines", "update", "watch", "radar", "wave",
    "spot", "zone", "line", "point", "trends", "story", "info",
)
_NAME_TAILS = (
    "", "", "", "", "", "24", "360", "online", "hq", "365", "now", "plus", "live", "central",
    "x", "247", "first", "net", "go", "one",
)
_FIRST_NAMES = (
    "Alex", "Maria", "James", "Priya", "Chen", "Fatima", "Lucas", "Sofia", "Daniel", "Aisha",
    "Tom", "Elena", "Kenji", "Nora", "Omar", "Grace", "Ivan", "Leila", "Marco", "Hannah",
    "Samuel", "Yuki", "Diego", "Emma", "Ravi", "Olivia", "Noah", "Zara", "Felix", "Mia",
)
_LAST_NAMES = (
    "Carter", "Nguyen", "Patel", "Müller", "Rossi", "Kim", "Okafor", "Larsen", "Silva",
    "Haddad", "Novak", "Fischer", "Moreau", "Tanaka", "Walsh", "Reyes", "Berg", "Costa",
    "Ahmed", "Brennan", "Dubois", "Schmidt", "Ortiz", "Lindqvist", "Park", "Mensah",
    "Kowalski", "Hughes", "Ferreira", "Yilmaz",
)
_AGENCIES = (
    "Global Wire Service", "Metro Press Agency", "Newsline International",
    "Continental News Network", "Pacific Report Syndicate", "Harbor News Service",
    "Eastbridge Media", "Summit Wire", "Lighthouse Press", "Atlas News Agency", "Northstar Media",
    "Riverside Wire", "Keystone Newsroom", "Orbit Press", "Meridian News Service",
)
_CITIES = ("London", "Nairobi", "Singapore", "Toronto", "Berlin", "Madrid", "Sydney", "Chicago")
_CRUMB_SEPS = (" > ", " » ", " / ", " › ", " | ", " >> ", " - ", "→")
_JOINERS = (" | ", " · ", "  ", " / ", " — ", " • ", " ")
_SITE_SUFFIXES = (" - {name}", " -{name}", " | {name}", "_{name}", " – {name}", " - {domain}")
_LIST_BULLETS = (
    "- ", "* ", "• ", "· ", "{i}. ", "{i} ", "{i:02d} ", "[{i}] ", "", "", "", "» ", "› ", "▪ ",
    "{i}) ", "# ",
)
_ELLIPSES = ("…", "...", " ...", "..")
_PLACEMENTS = ("top", "pre", "mid", "post", "post", "post", "bottom")
_AFTER_BLOCKS = ("counters", "share", "tags", "source", "bio", "prevnext", "lists", "comments",
                 "newsletter")

# fmt: on

# --------------------------------------------------------------------------------------------
# Site styles
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SidebarList:
    """One list of off-topic headlines in a site's template."""

    header: str | None
    """The header line (``boilerplate``), or none: the list starts with its first item."""
    bullet: str
    """Item prefix; may hold ``{i}`` for the 1-based item number (``"{i}. "``)."""
    items: int
    placement: str
    """``top`` (before the title), ``pre`` (before the article), ``mid`` (between paragraphs),
    ``post`` (after the article) or ``bottom`` (before the footer)."""
    number_own_line: bool = False
    """The item number is its own line (``boilerplate``) before the item."""
    sticky: bool = False
    """Shows a slowly rotating window of the site's pool (a "most read" list)."""
    truncate: int | None = None
    """Cut items longer than this many characters and add ``ellipsis``."""
    ellipsis: str = "…"
    decoration: str = ""
    """``""``, ``date`` (``… (03-14)``), ``section`` (``[World] …``) or ``views``."""


@dataclass(frozen=True, slots=True)
class PageChrome:
    """Junk that belongs to one page, not to the site's template.

    Real sites carry much of it (page-specific "related" links, photo captions, reader
    comments): on the training-side corpus sites of ``bench/templates_eval.py`` only about
    45% of the lines found on no other page of their site are article text. Without it a
    generated site's non-recurring lines are almost all article, and a model fed recurrence
    features learns "does not recur" as "article".
    """

    related_header: str | None
    """Header line of the page's own list of related headlines (``boilerplate``), or none."""
    related_items: int
    """Most headlines in that list (``link``; drawn from the whole headline pool, so they do
    not recur across the site); 0: no such list."""
    captions: int
    """Most photo captions between the article's paragraphs (``boilerplate``)."""
    comments: int
    """Most reader comments after the article: a name line and a text line (``boilerplate``)."""
    credit: str
    """Caption suffix, e.g. ``"Photo: {s}"`` (``{s}`` an agency)."""


def draw_page_chrome(domain: str, vocab_headers: Sequence[str]) -> PageChrome | None:
    """A site's page-specific junk, drawn from its own stream (seeded by the domain) so the
    rest of the generator's draws, and thus every earlier site and page, stay as they were."""
    rng = random.Random(f"page-chrome:{domain}")
    if rng.random() < 0.1:
        return None
    related = rng.choice((0, 0, 0, 4, 6, 10))
    return PageChrome(
        related_header=rng.choice(vocab_headers) if related and rng.random() < 0.7 else None,
        related_items=related,
        captions=rng.choice((0, 1, 2, 3)),
        comments=rng.choice((0, 3, 6, 10)),
        credit=rng.choice(_CAPTION_CREDITS),
    )


_CAPTION_CREDITS = ("Photo: {s}", "(Photo: {s})", "Image: {s}", "— {s}", "Credit: {s}", "{s}")
_COMMENT_OPENERS = (
    "So ",
    "Wow. ",
    "Not surprised. ",
    "Interesting: ",
    "Meanwhile ",
    "lol ",
    "Can't believe this. ",
    "Same here, ",
    "Honestly ",
    "Reminds me of ",
    "@admin ",
    "First! ",
)
"""A reader comment is an opener and a lowercased headline (never a bare headline, which
would be a ``link`` line elsewhere)."""
_COMMENT_ENDINGS = ("", "", "!", "!!", "?", " 🙄", " smh", "...")


@dataclass(frozen=True, slots=True)
class SiteStyle:
    """A site's template: every choice that stays fixed across the site's pages.

    Strings may hold placeholders filled per page: ``{year}`` (footer), ``{n}``/``{r}``
    (counters), ``{c}`` (comment count), ``{m}`` (reading minutes), ``{date}``, ``{a}``/``{s}``
    (bylines, sources), ``{h}`` (teasers, previous/next) and ``{section}`` (one of
    ``sections``).
    """

    domain: str
    name: str
    locale: str
    sections: tuple[str, ...]
    masthead: tuple[str, ...]
    nav: tuple[str, ...]
    crumb: str | None
    crumb_mode: str
    """``none``, ``line`` (own line) or ``glued`` (breadcrumb + title on one line before the
    title line)."""
    crumb_glue: str
    crumb_suffix: str
    top_order: tuple[str, ...]
    meta_before_title: bool
    meta: tuple[str, ...]
    """Ordered meta templates (date is ``{date}``), on separate lines or joined by
    ``meta_joiner``."""
    meta_joiner: str | None
    date_format: str
    date_prefix: str
    relative_date: str
    authors: tuple[str, ...]
    agencies: tuple[str, ...]
    tools: tuple[str, ...]
    """Short UI words ("Print", "Share", "View") shown with the meta lines."""
    tools_first: bool
    """The UI words come right after the title, before the meta lines."""
    counters_after: tuple[str, ...]
    counters_joiner: str | None
    counter_scale: float
    share: tuple[str, ...]
    share_placement: str
    """``none``, ``pre``, ``post`` or ``both``."""
    tag_prefix: str | None
    tag_joiner: str
    tag_hash: bool
    tag_vocab: tuple[str, ...]
    source_line: str | None
    bio: str | None
    prev_next: tuple[str, str] | None
    prev_next_split: bool
    lists: tuple[SidebarList, ...]
    headline_pool_size: int
    teasers: tuple[str, ...]
    teaser_prob: float
    teaser_split: bool
    ads: tuple[str, ...]
    ad_prob: float
    photo_credit: str | None
    comments: tuple[str, ...]
    newsletter: tuple[str, ...]
    cookie: tuple[str, ...]
    cookie_at_top: bool
    footer: tuple[str, ...]
    footer_year_fixed: int | None
    """Copyright year shown on every page, or none: the page's own year."""
    after_order: tuple[str, ...]
    wrap_width: int | None
    """Hard-wrap article paragraphs at this width (each piece its own ``article`` line)."""
    element_prob: float
    """Chance that each optional element (tags, share, comments …) shows on a given page."""
    doc_title_suffix: str | None
    """When set, pages get an HTML-like document title: the headline plus this suffix."""
    page_chrome: PageChrome | None = None
    """Page-specific junk (see :class:`PageChrome`)."""

    @classmethod
    def draw(cls, rng: random.Random) -> SiteStyle:
        return draw_style(rng)


def _weighted_locale(rng: random.Random) -> tuple[str, _Vocab]:
    roll = rng.random()
    for code, vocab, weight in _LOCALES:
        if roll < weight:
            return code, vocab
        roll -= weight
    return _LOCALES[0][0], _LOCALES[0][1]


def _sub(template: str, **values: str) -> str:
    """Fill ``{key}`` placeholders by plain replacement (values may hold braces)."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _draw_name(rng: random.Random) -> tuple[str, str]:
    words = [rng.choice(_NAME_HEADS)]
    if rng.random() < 0.35:
        words.append(rng.choice(_NAME_HEADS))
    words.append(rng.choice(_NAME_CORES))
    tail = rng.choice(_NAME_TAILS)
    if tail:
        words.append(tail)
    deduped = [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]
    domain = "".join(deduped) + (".example" if rng.random() < 0.85 else ".test")
    form = rng.randrange(5)
    if form == 0:
        name = "".join(w.capitalize() for w in deduped)
    elif form == 1:
        name = " ".join(w.capitalize() for w in deduped)
    elif form == 2:
        name = " ".join(deduped).upper()
    elif form == 3:
        name = "".join(deduped)
    else:
        name = domain
    return domain, name


def _sample(rng: random.Random, items: Sequence[str], lo: int, hi: int) -> tuple[str, ...]:
    k = min(len(items), rng.randint(lo, hi))
    return tuple(rng.sample(list(items), k))


def _header_variant(rng: random.Random, header: str) -> str:
    roll = rng.random()
    if roll < 0.6:
        return header
    if roll < 0.75:
        return header.upper()
    return rng.choice(("{} »", "— {} —", "{}:", "🔥 {}", "■ {}", "{} ›", "[{}]")).format(header)


def draw_style(rng: random.Random) -> SiteStyle:
    """Draw a site template at random (dozens of independent choices)."""
    locale, vocab = _weighted_locale(rng)
    domain, name = _draw_name(rng)
    y0 = str(rng.randint(1998, 2016))
    site = {"name": name, "domain": domain, "y0": y0}
    sections = _sample(rng, vocab.sections, 3, 8)

    masthead: list[str] = []
    if rng.random() < 0.7:
        masthead.append(name)
    if rng.random() < 0.3:
        masthead.append(_sub(rng.choice(vocab.taglines), **site))
    masthead.extend(_sample(rng, vocab.logins, 0, 2))
    if rng.random() < 0.3:
        masthead.reverse()

    nav_items = (rng.choice(vocab.home), *sections)
    if rng.random() < 0.2:
        nav_items = tuple(item.upper() for item in nav_items)
    nav_roll = rng.random()
    if nav_roll < 0.3:
        nav: tuple[str, ...] = ()
    elif nav_roll < 0.65:
        nav = (rng.choice(_JOINERS).join(nav_items),)
    else:
        nav = nav_items

    crumb_roll = rng.random()
    crumb_mode = "none" if crumb_roll < 0.25 else ("line" if crumb_roll < 0.6 else "glued")
    sep = rng.choice(_CRUMB_SEPS)
    crumb = None
    if crumb_mode != "none":
        crumb = rng.choice(vocab.crumb_prefixes) + rng.choice(vocab.home) + sep + "{section}"
    crumb_glue = rng.choice(("", "", sep))
    crumb_suffix = _sub(rng.choice(_SITE_SUFFIXES), **site) if rng.random() < 0.5 else ""

    cookie: tuple[str, ...] = ()
    if rng.random() < 0.3:
        cookie = (rng.choice(vocab.cookies), *_sample(rng, vocab.cookie_buttons, 0, 2))

    top_blocks = ["masthead", "nav", "lists"]
    if crumb_mode == "line":
        top_blocks.append("crumb")
    cookie_at_top = rng.random() < 0.5
    if cookie and cookie_at_top:
        top_blocks.append("cookie")
    rng.shuffle(top_blocks)

    date_format = rng.choice(vocab.date_formats)
    meta_parts: list[str] = []
    if rng.random() < 0.85:
        meta_parts.append("{date}")
    if rng.random() < 0.6:
        meta_parts.append(_sub(rng.choice(vocab.bylines), **site))
    source_line = _sub(rng.choice(vocab.sources), **site) if rng.random() < 0.45 else None
    if source_line is not None and rng.random() < 0.5:
        meta_parts.append(source_line)
        source_line = None
    counter_pool = vocab.counters
    if rng.random() < 0.4:
        meta_parts.append(rng.choice(counter_pool))
    if rng.random() < 0.2:
        meta_parts.append(rng.choice(vocab.reading))
    if rng.random() < 0.2:
        meta_parts.append("{section}")
    rng.shuffle(meta_parts)
    meta_joiner = rng.choice(_JOINERS) if rng.random() < 0.35 else None

    authors: tuple[str, ...]
    if rng.random() < 0.2:
        authors = (_sub(rng.choice(vocab.staff), **site),)
    else:
        authors = tuple(
            f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
            for _ in range(rng.randint(1, 6))
        )
    agencies = (name,) if rng.random() < 0.3 else _sample(rng, _AGENCIES, 1, 3)

    share: tuple[str, ...]
    if rng.random() < 0.5:
        share = (rng.choice(vocab.share_lines),)
    else:
        share = _sample(rng, vocab.share_items, 2, 6)
    share_placement = rng.choice(("none", "none", "pre", "post", "post", "both"))

    tag_prefix = rng.choice(vocab.tag_prefixes) if rng.random() < 0.45 else None
    tag_hash = rng.random() < 0.15

    prev_next = None
    if rng.random() < 0.45:
        prev_next = (rng.choice(vocab.prev), rng.choice(vocab.next))

    n_lists = rng.choice((0, 0, 1, 1, 2, 2, 2, 3, 3, 4))
    site_bullet = rng.choice(_LIST_BULLETS)
    lists: list[SidebarList] = []
    headers = list(vocab.list_headers)
    rng.shuffle(headers)
    for i in range(n_lists):
        header: str | None
        if rng.random() < 0.2:
            header = None
        elif rng.random() < 0.1:
            header = _sub(rng.choice(vocab.more_from), **site)
        elif rng.random() < 0.1:
            header = rng.choice(rng.choice(_LOCALES)[1].list_headers)
        else:
            header = headers[i % len(headers)]
        if header is not None:
            header = _header_variant(rng, header)
        bullet = site_bullet if rng.random() < 0.7 else rng.choice(_LIST_BULLETS)
        truncate = rng.randint(30, 70) if rng.random() < 0.15 else None
        lists.append(
            SidebarList(
                header=header,
                bullet=bullet,
                items=rng.randint(3, 15),
                placement=rng.choice(_PLACEMENTS),
                number_own_line=bullet == "" and rng.random() < 0.15,
                sticky=rng.random() < 0.3,
                truncate=truncate,
                ellipsis=rng.choice(_ELLIPSES),
                decoration=rng.choice(("", "", "", "", "", "", "date", "section", "views")),
            )
        )
    pool_size = max(rng.randint(20, 80), sum(sl.items for sl in lists) + 8)

    comments: tuple[str, ...] = ()
    if rng.random() < 0.4:
        comments = _sample(rng, vocab.comments, 1, 3)
    newsletter: tuple[str, ...] = ()
    if rng.random() < 0.3:
        newsletter = (_sub(rng.choice(vocab.newsletters), **site),)
        if rng.random() < 0.6:
            newsletter += (rng.choice(vocab.newsletter_buttons),)

    links = _sample(rng, vocab.footer_links, 3, 7)
    footer: list[str] = []
    if rng.random() < 0.5:
        footer.append(rng.choice(_JOINERS).join(links))
    else:
        footer.extend(links)
    if rng.random() < 0.85:
        footer.append(_sub(rng.choice(vocab.copyrights), name=name, domain=domain, y0=y0))
    footer.extend(_sub(d, **site) for d in _sample(rng, vocab.disclaimers, 0, 2))
    if rng.random() < 0.2:
        footer.append(f"Contact: editor@{domain}")
    if rng.random() < 0.3:
        footer.reverse()

    after = list(_AFTER_BLOCKS)
    rng.shuffle(after)
    counters_after = _sample(rng, counter_pool, 0, 3) if rng.random() < 0.6 else ()
    bio = None
    if rng.random() < 0.2:
        bio = _sub(rng.choice(vocab.bios), name=name, city=rng.choice(_CITIES))

    return SiteStyle(
        domain=domain,
        name=name,
        locale=locale,
        sections=sections,
        masthead=tuple(masthead),
        nav=nav,
        crumb=crumb,
        crumb_mode=crumb_mode,
        crumb_glue=crumb_glue,
        crumb_suffix=crumb_suffix,
        top_order=tuple(top_blocks),
        meta_before_title=rng.random() < 0.2,
        meta=tuple(meta_parts),
        meta_joiner=meta_joiner,
        date_format=date_format,
        date_prefix=rng.choice(vocab.date_prefixes),
        relative_date=rng.choice(vocab.relative_dates),
        authors=authors,
        agencies=agencies,
        tools=_sample(rng, vocab.tools, 1, 3) if rng.random() < 0.45 else (),
        tools_first=rng.random() < 0.4,
        counters_after=counters_after,
        counters_joiner=rng.choice(_JOINERS) if rng.random() < 0.4 else None,
        counter_scale=10 ** rng.uniform(0.7, 4.5),
        share=share,
        share_placement=share_placement,
        tag_prefix=tag_prefix,
        tag_joiner=rng.choice((", ", " · ", " | ", " ", ",  ")),
        tag_hash=tag_hash,
        tag_vocab=vocab.tags,
        source_line=source_line,
        bio=bio,
        prev_next=prev_next,
        prev_next_split=rng.random() < 0.3,
        lists=tuple(lists),
        headline_pool_size=pool_size,
        teasers=_sample(rng, vocab.teasers, 1, 2),
        teaser_prob=rng.choice((0.0, 0.0, 0.0, 0.3, 0.5, 0.8)),
        teaser_split=rng.random() < 0.25,
        ads=_sample(rng, vocab.ads, 1, 2),
        ad_prob=rng.choice((0.0, 0.0, 0.3, 0.6)),
        photo_credit=rng.choice(vocab.photo_credits) if rng.random() < 0.2 else None,
        comments=comments,
        newsletter=newsletter,
        cookie=cookie,
        cookie_at_top=cookie_at_top,
        footer=tuple(footer),
        footer_year_fixed=rng.randint(2019, 2025) if rng.random() < 0.4 else None,
        after_order=tuple(after),
        wrap_width=rng.randint(80, 120) if rng.random() < 0.15 else None,
        element_prob=rng.uniform(0.75, 1.0),
        doc_title_suffix=_sub(rng.choice(_SITE_SUFFIXES), **site) if rng.random() < 0.4 else None,
        page_chrome=draw_page_chrome(domain, vocab.list_headers),
    )


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------

_Out = list[tuple[str, Label]]
_SLUG = re.compile(r"[a-z0-9]+")
_START = datetime(2014, 1, 1)


class _KeepMissing(dict[str, object]):
    """Format values that leave unknown ``{key}`` placeholders in place."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _split_prefix(template: str) -> str:
    """The text before ``{h}`` without trailing colons (``"READ MORE: {h}"`` → ``READ MORE``)."""
    head = template.split("{h}", 1)[0]
    return head.strip().rstrip(":：").strip()


class _PageBuilder:
    """Renders one page of a site (per-page state; not part of the public API)."""

    def __init__(
        self,
        style: SiteStyle,
        rng: random.Random,
        site_headlines: Sequence[str],
        page_index: int,
        date: datetime,
        section: str,
        title: str,
        paragraphs: Sequence[str],
        headlines: Sequence[str] = (),
    ) -> None:
        self.style = style
        self.rng = rng
        self.headlines = headlines
        """The whole headline pool: page-specific lists draw from it (not the site's pool)."""
        self.extra = random.Random(f"page-chrome:{style.domain}:{page_index}")
        """Draws for the page-specific junk, apart from ``rng`` (see :func:`draw_page_chrome`)."""
        self.pool = site_headlines
        self.k = page_index
        self.date = date
        self.section = section
        self.title = title
        self.paragraphs = paragraphs
        self.used: set[str] = {title}
        self.out: _Out = []
        self.author = rng.choice(style.authors)
        self.agency = rng.choice(style.agencies)
        self.topic = rng.choice(style.tag_vocab)
        self.comment_count = int(rng.expovariate(1 / 25))
        self.minutes = max(1, round(sum(len(p.split()) for p in paragraphs) / 230))
        self.date_line = self.date_text()

    # small helpers -----------------------------------------------------------------------
    def bp(self, text: str) -> None:
        text = _norm(text)
        if text:
            self.out.append((text, Label.BOILERPLATE))

    def link(self, text: str) -> None:
        text = _norm(text)
        if text:
            self.out.append((text, Label.LINK))

    def shows(self) -> bool:
        return self.rng.random() < self.style.element_prob

    def number(self) -> int:
        return max(0, int(self.style.counter_scale * self.rng.lognormvariate(0.0, 0.9)))

    def counter(self, template: str) -> str:
        values = _KeepMissing(n=self.number(), r=f"{self.rng.uniform(3.0, 5.0):.1f}")
        return template.format_map(values)

    def headline(self) -> str | None:
        for h in self.rng.sample(list(self.pool), len(self.pool)):
            if h not in self.used:
                self.used.add(h)
                return h
        return None

    def date_text(self) -> str:
        fmt = self.style.date_format
        if fmt == "%REL":
            body = self.style.relative_date.format(n=self.rng.randint(1, 23))
        else:
            body = self.date.strftime(fmt)
        return self.style.date_prefix + body

    def fill(self, template: str) -> str:
        """Fill the per-page placeholders of a template line."""
        if "{n" in template or "{r" in template:
            template = self.counter(template)
        return _sub(
            template,
            date=self.date_line,
            a=self.author,
            A=self.author.upper(),
            s=self.agency,
            section=self.section,
            topic=self.topic,
            c=str(self.comment_count),
            m=str(self.minutes),
        )

    # blocks ------------------------------------------------------------------------------
    def crumb_text(self) -> str:
        assert self.style.crumb is not None
        return _sub(self.style.crumb, section=self.section)

    def meta(self) -> None:
        style = self.style
        parts = [self.fill(p) for p in style.meta]
        if style.tools_first:
            for tool in style.tools:
                self.bp(tool)
        if parts and style.meta_joiner is not None:
            self.bp(style.meta_joiner.join(parts))
        else:
            for part in parts:
                self.bp(part)
        if not style.tools_first:
            for tool in style.tools:
                self.bp(tool)

    def share(self) -> None:
        if self.shows():
            for item in self.style.share:
                self.bp(item)

    def sidebar(self, spec: SidebarList) -> None:
        style = self.style
        if spec.sticky:
            start = (self.k // 3) % max(1, len(self.pool))
            candidates = [self.pool[(start + j) % len(self.pool)] for j in range(len(self.pool))]
        else:
            candidates = self.rng.sample(list(self.pool), len(self.pool))
        items = [h for h in candidates if h not in self.used][: spec.items]
        if not items:
            return
        self.used.update(items)
        if spec.header is not None:
            self.bp(spec.header)
        for i, headline in enumerate(items, 1):
            text = headline
            if spec.truncate is not None and len(text) > spec.truncate:
                text = text[: spec.truncate].rstrip() + spec.ellipsis
            if spec.decoration == "date":
                when = self.date - timedelta(days=self.rng.randint(0, 30))
                text = f"{text} ({when:%m-%d})"
            elif spec.decoration == "section":
                text = f"[{self.rng.choice(style.sections)}] {text}"
            elif spec.decoration == "views":
                text = f"{text} 👁 {self.number():,}"
            if spec.number_own_line:
                self.bp(str(i))
                self.link(text)
            else:
                self.link(spec.bullet.format(i=i) + text)

    def lists_at(self, placement: str) -> None:
        for spec in self.style.lists:
            if spec.placement == placement:
                self.sidebar(spec)

    def teaser(self) -> None:
        headline = self.headline()
        if headline is None:
            return
        template = self.rng.choice(self.style.teasers)
        prefix = _split_prefix(template)
        if self.style.teaser_split and prefix:
            self.bp(prefix)
            self.link(headline)
        else:
            self.link(_sub(template, h=headline))

    def article(self, paragraphs: Sequence[str]) -> None:
        style = self.style
        n = len(paragraphs)
        inserts: dict[int, list[str]] = {}
        gaps = list(range(1, n)) if n > 1 else [1]
        for spec_index, spec in enumerate(style.lists):
            if spec.placement == "mid":
                inserts.setdefault(self.rng.choice(gaps), []).append(f"list:{spec_index}")
        if style.teasers and self.rng.random() < style.teaser_prob:
            for _ in range(self.rng.choice((1, 1, 2))):
                inserts.setdefault(self.rng.choice(gaps), []).append("teaser")
        if style.ads and self.rng.random() < style.ad_prob:
            for _ in range(self.rng.choice((1, 1, 2))):
                inserts.setdefault(self.rng.choice(gaps), []).append("ad")
        if style.photo_credit is not None and self.shows():
            self.bp(self.fill(style.photo_credit))
        chrome = style.page_chrome
        if chrome is not None and chrome.captions:
            for _ in range(self.extra.randint(0, chrome.captions)):
                inserts.setdefault(self.extra.choice(gaps), []).append("caption")
        for i, paragraph in enumerate(paragraphs):
            for what in inserts.get(i, ()):
                if what == "teaser":
                    self.teaser()
                elif what == "caption":
                    self.caption()
                elif what == "ad":
                    self.bp(self.rng.choice(style.ads))
                else:
                    self.sidebar(style.lists[int(what.split(":")[1])])
            if style.wrap_width is not None:
                pieces = textwrap.wrap(
                    paragraph,
                    width=style.wrap_width,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            else:
                pieces = [paragraph]
            for piece in pieces:
                piece = piece.strip()
                if piece:
                    self.out.append((piece, Label.ARTICLE))

    def own_headline(self) -> str | None:
        """A headline from the whole pool, not yet on this page (None when the pool is empty)."""
        for _ in range(20):
            if not self.headlines:
                return None
            h = self.extra.choice(self.headlines)
            if h not in self.used:
                self.used.add(h)
                return h
        return None

    def caption(self) -> None:
        assert self.style.page_chrome is not None
        text = self.own_headline()
        if text is not None:
            credit = _sub(self.style.page_chrome.credit, s=self.extra.choice(self.style.agencies))
            self.bp(f"{text.rstrip('.')}. {credit}")

    def related(self) -> None:
        chrome = self.style.page_chrome
        if chrome is None or not chrome.related_items:
            return
        items = [
            self.own_headline()
            for _ in range(self.extra.randint(chrome.related_items // 2, chrome.related_items))
        ]
        if chrome.related_header is not None:
            self.bp(chrome.related_header)
        for item in items:
            if item is not None:
                self.link(item)

    def reader_comments(self) -> None:
        chrome = self.style.page_chrome
        if chrome is None or not chrome.comments:
            return
        for _ in range(self.extra.randint(chrome.comments // 2, chrome.comments)):
            text = self.own_headline()
            if text is None:
                return
            first = self.extra.choice(_FIRST_NAMES)
            if self.extra.random() < 0.5:
                sep = self.extra.choice(("", "_", "."))
                self.bp(f"{first.lower()}{sep}{self.extra.randint(1, 9999)}")
            else:
                self.bp(f"{first} {self.extra.choice(_LAST_NAMES)[0]}.")
            opener = self.extra.choice(_COMMENT_OPENERS)
            ending = self.extra.choice(_COMMENT_ENDINGS)
            self.bp(opener + text[0].lower() + text[1:].rstrip(".!?") + ending)

    def after_block(self, name: str, prev_title: str | None) -> None:
        style = self.style
        if name == "counters" and style.counters_after:
            values = [self.counter(t) for t in style.counters_after]
            if style.counters_joiner is not None:
                self.bp(style.counters_joiner.join(values))
            else:
                for value in values:
                    self.bp(value)
        elif name == "share" and style.share_placement in ("post", "both"):
            self.share()
        elif name == "tags" and style.tag_prefix is not None and self.shows():
            tags = self.rng.sample(list(style.tag_vocab), self.rng.randint(2, 5))
            if style.tag_hash:
                self.bp(" ".join("#" + t.replace(" ", "") for t in tags))
            else:
                self.bp(style.tag_prefix + style.tag_joiner.join(tags))
        elif name == "source" and style.source_line is not None and self.shows():
            self.bp(self.fill(style.source_line))
        elif name == "bio" and style.bio is not None and self.shows():
            self.bp(self.fill(style.bio))
        elif name == "prevnext" and style.prev_next is not None:
            self.prev_next(prev_title)
        elif name == "lists":
            self.lists_at("post")
        elif name == "comments" and self.shows():
            for line in style.comments:
                self.bp(self.fill(line))
        elif name == "newsletter" and self.shows():
            for line in style.newsletter:
                self.bp(line)

    def prev_next(self, prev_title: str | None) -> None:
        assert self.style.prev_next is not None
        prev_template, next_template = self.style.prev_next
        previous = prev_title if prev_title and prev_title not in self.used else self.headline()
        if previous is not None:
            self.used.add(previous)
        following = self.headline()
        for template, headline in ((prev_template, previous), (next_template, following)):
            if headline is None:
                continue
            prefix = _split_prefix(template)
            if self.style.prev_next_split and prefix and template.endswith("{h}"):
                self.bp(prefix)
                self.link(headline)
            else:
                self.link(_sub(template, h=headline))

    def footer(self) -> None:
        style = self.style
        year = style.footer_year_fixed or self.date.year
        for line in style.footer:
            self.bp(_sub(line, year=str(year)))

    def build(self, prev_title: str | None) -> _Out:
        style = self.style
        for block in style.top_order:
            if block == "masthead":
                for line in style.masthead:
                    self.bp(line)
            elif block == "nav":
                for line in style.nav:
                    self.bp(line)
            elif block == "crumb" and style.crumb is not None:
                self.bp(self.crumb_text())
            elif block == "cookie":
                for line in style.cookie:
                    self.bp(line)
            elif block == "lists":
                self.lists_at("top")
        if style.meta_before_title:
            self.meta()
        if style.crumb_mode == "glued" and style.crumb is not None:
            self.bp(self.crumb_text() + style.crumb_glue + self.title + style.crumb_suffix)
        self.out.append((self.title, Label.TITLE))
        if not style.meta_before_title:
            self.meta()
        self.lists_at("pre")
        if style.share_placement in ("pre", "both"):
            self.share()
        self.article(self.paragraphs)
        self.related()
        for block in style.after_order:
            self.after_block(block, prev_title)
        self.reader_comments()
        self.lists_at("bottom")
        self.footer()
        if style.cookie and not style.cookie_at_top:
            for line in style.cookie:
                self.bp(line)
        return self.out


def _slug(title: str, k: int) -> str:
    words = _SLUG.findall(title.lower())[:8]
    return "-".join(words) if words else f"post-{k}"


def generate_site(
    pool: SourcePool,
    rng: random.Random,
    *,
    pages: int,
    style: SiteStyle | None = None,
    republish_prob: float = 0.0,
) -> list[LabelledPage]:
    """Generate ``pages`` labelled pages of one site (a new random style unless given).

    With ``republish_prob`` a page republishes an article already used on the site (same title
    and text, new date and URL).
    """
    if pages < 1:
        raise ValueError(f"pages must be >= 1, got {pages}")
    if not pool.articles:
        raise ValueError("the source pool has no articles")
    if style is None:
        style = draw_style(rng)
    n = len(pool.articles)
    fresh = rng.sample(range(n), min(pages, n))
    order: list[int] = []
    for k in range(pages):
        if k > 0 and rng.random() < republish_prob:
            order.append(rng.choice(order))
        elif fresh:
            order.append(fresh.pop())
        else:
            order.append(rng.randrange(n))
    titles = {pool.articles[i].title for i in order}
    want = min(len(pool.headlines), style.headline_pool_size + len(titles))
    site_headlines = [h for h in rng.sample(pool.headlines, want) if h not in titles]
    site_headlines = site_headlines[: style.headline_pool_size]

    date = _START + timedelta(days=rng.uniform(0, 3800))
    samples: list[LabelledPage] = []
    seen_urls: set[str] = set()
    prev_title: str | None = None
    for k, index in enumerate(order):
        article = pool.articles[index]
        date += timedelta(hours=rng.uniform(2, 24 * 12))
        section = rng.choice(style.sections)
        builder = _PageBuilder(
            style,
            rng,
            site_headlines,
            k,
            date,
            section,
            article.title,
            article.paragraphs,
            headlines=pool.headlines,
        )
        out = builder.build(prev_title)
        url = f"https://{style.domain}/{date:%Y}/{date:%m}/{_slug(article.title, k)}"
        if url in seen_urls:
            url = f"{url}-{k}"
        seen_urls.add(url)
        page = Page(
            id=f"synth:{style.domain}:{k}",
            lines=tuple(Line(text) for text, _ in out),
            url=url,
            site=style.domain,
            title=None
            if style.doc_title_suffix is None
            else article.title + style.doc_title_suffix,
        )
        samples.append(
            LabelledPage(
                page=page,
                labels=tuple(label for _, label in out),
                truth="\n".join(article.paragraphs),
            )
        )
        prev_title = article.title
    return samples


def generate_sites(
    pool: SourcePool,
    *,
    sites: int,
    pages_per_site: tuple[int, int] = (3, 12),
    seed: int = 0,
    republish_prob: float = 0.05,
) -> Iterator[LabelledPage]:
    """Generate ``sites`` sites of ``pages_per_site`` (inclusive range) pages each.

    Deterministic given ``seed``; site domains are unique within one call.
    """
    lo, hi = pages_per_site
    if not 1 <= lo <= hi:
        raise ValueError(f"pages_per_site must be 1 <= lo <= hi, got {pages_per_site}")
    master = random.Random(seed)
    domains: set[str] = set()
    for _ in range(sites):
        rng = random.Random(master.getrandbits(64))
        style = draw_style(rng)
        if style.domain in domains:
            stem, _, tld = style.domain.rpartition(".")
            number = 2
            while f"{stem}{number}.{tld}" in domains:
                number += 1
            style = replace(style, domain=f"{stem}{number}.{tld}")
        domains.add(style.domain)
        pages = rng.randint(lo, hi)
        yield from generate_site(pool, rng, pages=pages, style=style, republish_prob=republish_prob)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m classify.synth",
        description="Generate labelled content-farm pages from real corpus text.",
    )
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--pages-min", type=int, default=3)
    parser.add_argument("--pages-max", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--republish-prob", type=float, default=0.05)
    parser.add_argument(
        "--part",
        choices=("all", "train", "heldout"),
        default="all",
        help="use only articles of the train or held-out corpus sites (classify.corpus split)",
    )
    parser.add_argument("--held-out-percent", type=int, default=None)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)

    from classify.samples import write_jsonl

    started = time.perf_counter()
    articles_filter = (
        None
        if args.part == "all"
        else site_split(args.part, held_out_percent=args.held_out_percent)
    )
    pool = SourcePool.from_corpora(args.corpora, articles_filter=articles_filter)
    loaded = time.perf_counter()
    counts: Counter[Label] = Counter()
    sites: set[str] = set()

    def counted() -> Iterator[LabelledPage]:
        for sample in generate_sites(
            pool,
            sites=args.sites,
            pages_per_site=(args.pages_min, args.pages_max),
            seed=args.seed,
            republish_prob=args.republish_prob,
        ):
            counts.update(sample.labels)
            sites.add(sample.page.site or "")
            yield sample

    written = write_jsonl(args.output, counted())
    done = time.perf_counter()
    print(
        f"sources: {len(pool.articles)} articles, {len(pool.headlines)} headlines "
        f"({loaded - started:.1f}s)"
    )
    print(f"wrote {written} pages of {len(sites)} sites to {args.output} ({done - loaded:.1f}s)")
    total = sum(counts.values()) or 1
    for label in LABELS:
        print(f"  {label.value:<12}{counts[label]:>8}  {counts[label] / total:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
