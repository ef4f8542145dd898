"""Campaigns of the emulated service: CreateCampaign, DescribeCampaign, ListCampaigns and
UpdateCampaign, over the activity side's store and rules (see `activity`).

A campaign deploys an ACTIVE solution version: it is created CREATE PENDING, then CREATE
IN_PROGRESS, then ACTIVE on the injected clock (`pending_seconds`, then `in_progress_seconds`,
as a dataset or a solution). Its row in `resources` has the solution of the version it serves as
`parent_arn` (ListCampaigns filters by `solutionArn`; without one it lists every campaign of the
account and region) and in `details` the members the service echoes (`solutionVersionArn`,
`minProvisionedTPS`, default 1, `campaignConfig`) and, once updated, `update`: the latest
UpdateCampaign as `{solutionVersionArn, minProvisionedTPS, campaignConfig, created, started,
finishes, phase}`.

An update moves as a creation does (`latestCampaignUpdate.status` CREATE PENDING > CREATE
IN_PROGRESS > ACTIVE) while the campaign stays ACTIVE and keeps serving its old version, as the
service does ("the campaign will use the previous solution version until the latest campaign
update status is Active"); once ACTIVE, the campaign's `solutionVersionArn` (and its solution)
is the new one and its `lastUpdatedDateTime` the update's end. The service's rules:
- the version to deploy must exist in the account and region (ResourceNotFoundException) and
  be ACTIVE (ResourceInUseException), at creation and at an update;
- a campaign is updated only when ACTIVE and with no update in progress
  (ResourceInUseException);
- a campaign's name is unique per account and region (ResourceAlreadyExistsException).
Not emulated: `SolutionArn/$LATEST` with `syncWithLatestSolutionVersion` (such an ARN names no
version here: ResourceNotFoundException), CREATE FAILED, deleting a campaign.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from typing import Any

from reconciler.emulator.activity import Activity, Handler, _picked, version_arn
from reconciler.emulator.errors import ServiceError
from reconciler.emulator.resources import (
    CAMPAIGN,
    SOLUTION,
    SOLUTION_VERSION,
    resource_json,
    shaped,
    status_of,
)
from reconciler.emulator.wire import page, with_token

OPERATIONS = ("CreateCampaign", "DescribeCampaign", "ListCampaigns", "UpdateCampaign")
_DEPLOYED = ("minProvisionedTPS", "campaignConfig")


class Campaigns(Activity):
    """The activity side's operations and the campaigns', over one store and clock."""

    def handlers(self) -> dict[str, Handler]:
        return super().handlers() | {
            "CreateCampaign": self._create_campaign,
            "DescribeCampaign": functools.partial(self._read_campaigns, False),
            "ListCampaigns": functools.partial(self._read_campaigns, True),
            "UpdateCampaign": self._update_campaign,
        }

    def seed(self, group_arn: str, name: str) -> None:
        """A campaign NAME of the dataset group as the settings file seeds it: a solution NAME
        (automatic training as the service's default), its first version and the campaign
        serving it, all ACTIVE from now, of `accountId` in the group's region. Nothing where
        any of the three exists (seeding is repeated by every process that starts)."""
        region = group_arn.split(":")[3]
        solution = self._arn(region, f"solution/{name}")
        version = version_arn(solution, 0)
        campaign = self._arn(region, f"campaign/{name}")
        with self.store.transaction() as conn:
            if any(self._taken(conn, arn) for arn in (solution, version, campaign)):
                return
            details: dict[str, Any] = {"performHPO": False, "performAutoML": False}
            details |= {"performAutoTraining": True, "datasetGroupArn": group_arn}
            self._insert(conn, SOLUTION, region, solution, name, group_arn, details)
            trained = _picked(details, "performHPO", "performAutoML", "datasetGroupArn")
            trained |= {"trainingMode": "FULL", "trainingType": "MANUAL"}
            self._insert(conn, SOLUTION_VERSION, region, version, None, solution, trained)
            deployed = {"solutionVersionArn": version, "minProvisionedTPS": 1}
            self._insert(conn, CAMPAIGN, region, campaign, name, solution, deployed)
            now = self._clock()
            conn.execute(
                "UPDATE resources SET phase = 'done', started = ?, finishes = ?"
                " WHERE arn IN (?, ?, ?)",
                (now, now, solution, version, campaign),
            )

    def _create_campaign(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        arn = self._arn(region, f"campaign/{params['name']}")
        with self.store.transaction() as conn:
            self._advance(conn)
            version = self._deployable(conn, region, params["solutionVersionArn"])
            details = {"solutionVersionArn": version["arn"], "minProvisionedTPS": 1}
            details |= _picked(params, *_DEPLOYED)
            parent = version["parent_arn"]
            self._insert(conn, CAMPAIGN, region, arn, params["name"], parent, details, params)
        return {"campaignArn": arn}

    def _update_campaign(self, region: str, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["campaignArn"]
        with self.store.transaction() as conn:
            self._settle(conn)
            campaign = self._active(self._row(conn, CAMPAIGN, region, arn))
            details = json.loads(campaign["details"])
            if details.get("update", {}).get("phase", "done") != "done":
                raise ServiceError(
                    "ResourceInUseException", f"Campaign {arn} has an update in progress."
                )
            version_arn = params.get("solutionVersionArn", details["solutionVersionArn"])
            version = self._deployable(conn, region, version_arn)
            now = self._clock()
            started = now + self.config.pending_seconds
            details["update"] = {
                "solutionVersionArn": version["arn"],
                "solutionArn": version["parent_arn"],
                **_picked(details, *_DEPLOYED),
                **_picked(params, *_DEPLOYED),
                "created": now,
                "started": started,
                "finishes": started + self.config.in_progress_seconds,
                "phase": "pending",
            }
            conn.execute(
                "UPDATE resources SET details = ? WHERE arn = ?", (json.dumps(details), arn)
            )
        return {"campaignArn": arn}

    def _read_campaigns(self, listing: bool, region: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction() as conn:
            self._settle(conn)
            if not listing:
                row = self._row(conn, CAMPAIGN, region, params["campaignArn"])
                return {"campaign": _campaign_json(row, summary=False)}
            scope = {"kind": CAMPAIGN.key, "region": region, "account": self.config.account_id}
            where = "kind = :kind AND region = :region AND account = :account"
            if params.get("solutionArn"):
                where += " AND parent_arn = :parent"
                scope["parent"] = params["solutionArn"]
            rows, token = page(conn, "resources", where, scope, params)
        campaigns = [_campaign_json(row, summary=True) for row in rows]
        return with_token({"campaigns": campaigns}, token)

    def _deployable(self, conn: sqlite3.Connection, region: str, arn: str) -> sqlite3.Row:
        return self._active(self._row(conn, SOLUTION_VERSION, region, arn))

    def _settle(self, conn: sqlite3.Connection) -> None:
        """Move every resource whose time has come, and every campaign update: an update that
        is done puts its version (and solution) in the campaign's place. Kept, as statuses are."""
        self._advance(conn)
        now = self._clock()
        rows = conn.execute(  # campaigns are few: read in Python (no JSON1 needed)
            "SELECT arn, details FROM resources WHERE kind = ?", (CAMPAIGN.key,)
        ).fetchall()
        for row in rows:
            details = json.loads(row["details"])
            update = details.get("update")
            if update is None or update["phase"] == "done":
                continue
            phase = "done" if update["finishes"] <= now else update["phase"]
            if phase == "pending" and update["started"] <= now:
                phase = "running"
            if phase == update["phase"]:
                continue
            update["phase"] = phase
            parent = None
            if phase == "done":
                details |= _picked(update, "solutionVersionArn", *_DEPLOYED)
                parent = update["solutionArn"]
            conn.execute(
                "UPDATE resources SET details = ?, parent_arn = COALESCE(?, parent_arn)"
                " WHERE arn = ?",
                (json.dumps(details), parent, row["arn"]),
            )


def _campaign_json(row: sqlite3.Row, *, summary: bool) -> dict[str, Any]:
    body = resource_json(row, summary=summary)
    update = json.loads(row["details"]).get("update")
    if update is None:
        return body
    if update["phase"] == "done":
        body["lastUpdatedDateTime"] = max(body["lastUpdatedDateTime"], update["finishes"])
    if summary:
        return body
    moved = {"pending": update["created"], "running": update["started"], "done": update["finishes"]}
    summary_of_update = {
        **update,
        "status": status_of(CAMPAIGN, update["phase"]),
        "creationDateTime": update["created"],
        "lastUpdatedDateTime": moved[update["phase"]],
    }
    body["latestCampaignUpdate"] = shaped(summary_of_update, "CampaignUpdateSummary")
    return body
