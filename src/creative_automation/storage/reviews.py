"""Reviews: a person's approve / reject decisions on creatives, append-only; the latest counts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..errors import BriefError, Problem
from .base import StoreBase
from .campaigns import _get
from .checkpoints import CreativeKey
from .ids import new_id
from .models import CreativeRow, ReviewRow
from .records import LABEL_LENGTH, Review, from_row
from .states import CreativeStatus, ReviewDecision

MAX_REVIEWER = 120  # the reviews.reviewer column
MAX_COMMENT = 2000


def review(row: ReviewRow) -> Review:
    return from_row(Review, row, decision=ReviewDecision(row.decision))


class ReviewsMixin(StoreBase):
    def record_reviews(
        self,
        campaign_id: str,
        keys: Sequence[CreativeKey],
        decision: ReviewDecision,
        comment: str,
        reviewer: str,
        api_key: str,
    ) -> list[Review]:
        """Record `decision` on each creative of `keys` (product_id, aspect_ratio, locale),
        in one transaction; the reviews as stored, in the order of `keys` (a key named twice
        is recorded once).

        The reviewer's name is 1–MAX_REVIEWER characters and the comment at most MAX_COMMENT
        (both stripped); a rejection needs a comment (what to change). Every key must be a
        checkpointed creative of the campaign that was made (a failed one has no image).
        Otherwise a BriefError lists every problem at once, by the field paths of the API's
        request (reviewer, comment, creatives[i]), and nothing is written. NotFound for an
        unknown campaign.
        """
        decision = ReviewDecision(decision)
        reviewer, comment = reviewer.strip(), comment.strip()
        if not api_key or len(api_key) > LABEL_LENGTH:
            raise ValueError(f"api_key must be 1 to {LABEL_LENGTH} characters (ApiKey.label)")
        problems = _text_problems(decision, comment, reviewer)
        if not keys:
            problems.append(Problem("creatives", "name at least one creative"))
        now = self.now()
        with self._write() as session:
            _get(session, campaign_id)
            made: dict[CreativeKey, str] = {
                (p, r, loc): status
                for p, r, loc, status in session.execute(
                    select(
                        CreativeRow.product_id,
                        CreativeRow.aspect_ratio,
                        CreativeRow.locale,
                        CreativeRow.status,
                    ).where(CreativeRow.campaign_id == campaign_id)
                )
            }
            unique: dict[CreativeKey, None] = {}  # in the order first named
            for index, (product_id, aspect_ratio, locale) in enumerate(keys):
                key = (product_id, aspect_ratio, locale)  # a plain tuple, whatever was given
                if key in unique:
                    continue
                unique[key] = None
                problem = _key_problem(campaign_id, key, made.get(key))
                if problem is not None:
                    problems.append(Problem(f"creatives[{index}]", problem))
            if problems:
                raise BriefError("request", problems)
            rows = [
                ReviewRow(
                    id=new_id("rev"),
                    campaign_id=campaign_id,
                    product_id=product_id,
                    aspect_ratio=aspect_ratio,
                    locale=locale,
                    decision=decision.value,
                    comment=comment,
                    reviewer=reviewer,
                    api_key=api_key,
                    created_at=now,
                )
                for product_id, aspect_ratio, locale in unique
            ]
            session.add_all(rows)
            session.flush()
            self._event(
                session,
                "reviewed",
                campaign_id=campaign_id,
                detail={
                    "decision": decision.value,
                    "creatives": len(rows),
                    "reviewer": reviewer,
                    "by": api_key,
                },
            )
            return [review(r) for r in rows]

    def reviews(self, campaign_id: str, *, history: bool = False) -> list[Review]:
        """The campaign's current reviews, one per reviewed creative (its latest); with
        `history`, every review ever recorded. Oldest first, either way."""
        with self._read() as session:
            if history:
                query = (
                    select(ReviewRow)
                    .where(ReviewRow.campaign_id == campaign_id)
                    .order_by(ReviewRow.created_at, ReviewRow.id)
                )
                return [review(r) for r in session.scalars(query)]
            # ids are time-ordered ULIDs: within one instant the later id is the later review
            rank = (
                func.row_number()
                .over(
                    partition_by=(ReviewRow.product_id, ReviewRow.aspect_ratio, ReviewRow.locale),
                    order_by=(ReviewRow.created_at.desc(), ReviewRow.id.desc()),
                )
                .label("rank")
            )
            ranked = select(ReviewRow, rank).where(ReviewRow.campaign_id == campaign_id).subquery()
            latest = aliased(ReviewRow, ranked)
            rows = session.scalars(
                select(latest).where(ranked.c.rank == 1).order_by(latest.created_at, latest.id)
            )
            return [review(r) for r in rows]


def _text_problems(decision: ReviewDecision, comment: str, reviewer: str) -> list[Problem]:
    problems = []
    if not 1 <= len(reviewer) <= MAX_REVIEWER:
        problems.append(
            Problem("reviewer", f"name the person reviewing (1 to {MAX_REVIEWER} characters)")
        )
    if len(comment) > MAX_COMMENT:
        problems.append(Problem("comment", f"is {len(comment)} characters; at most {MAX_COMMENT}"))
    elif decision is ReviewDecision.REJECTED and not comment:
        problems.append(Problem("comment", "a rejection needs a comment saying what to change"))
    return problems


def _key_problem(campaign_id: str, key: CreativeKey, status: str | None) -> str | None:
    product_id, aspect_ratio, locale = key
    name = f"{product_id} {aspect_ratio} {locale}"
    if status is None:
        return f"campaign {campaign_id} has no creative {name} (not made, or not yet)"
    if status == CreativeStatus.FAILED:
        return f"creative {name} failed: there is no image to review"
    return None


__all__ = ["MAX_COMMENT", "MAX_REVIEWER", "ReviewsMixin"]
