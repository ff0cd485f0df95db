"""Zhihu (知乎) as feeds: per-person activities, answers, articles and pins; columns, collections, questions, hot list;
the follow timeline, topics and a user's collections."""

from __future__ import annotations

from app.sources.zhihu.content import CollectionSource, ColumnSource, HotSource, QuestionSource
from app.sources.zhihu.login import AllCollectionsSource, TimelineSource, TopicSource
from app.sources.zhihu.people import ActivitiesSource, AnswersSource, PinsSource, PostsSource

# Order matters for URL matching: the more specific /people/<id>/<tab> forms come before the bare profile.
SOURCES = (
    AnswersSource(),
    PostsSource(),
    PinsSource(),
    ActivitiesSource(),
    ColumnSource(),
    CollectionSource(),
    QuestionSource(),
    HotSource(),
    AllCollectionsSource(),
    TimelineSource(),
    TopicSource(),
)

__all__ = ["SOURCES"]
