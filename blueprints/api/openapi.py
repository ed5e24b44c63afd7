"""The OpenAPI document of /api/v1, kept beside the views it describes."""

from __future__ import annotations

_ERROR = {"$ref": "#/components/schemas/Error"}


def _responses(ok_schema: dict, *codes: int) -> dict:
    out = {"200": {"description": "OK",
                   "content": {"application/json": {"schema": ok_schema}}}}
    texts = {400: "Bad request", 401: "Missing, wrong or revoked token",
             404: "No such unit, or not visible to the caller"}
    for code in codes:
        out[str(code)] = {"description": texts[code],
                          "content": {"application/json": {"schema": _ERROR}}}
    return out


YEAR = {"name": "year", "in": "path", "required": True,
        "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}}
FRAMEWORK_CHOICE = {"name": "framework", "in": "query", "required": False,
                    "description": "the framework reported on (default: the one the unit "
                                   "already reports on, else the highest one above it)",
                    "schema": {"type": "integer"}}
UNIT_CODE = {"name": "code", "in": "path", "required": True,
             "schema": {"type": "string", "maxLength": 32}}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "TCĐLCL planning platform API",
        "version": "1.0.0",
        "description": "Acts with exactly the token owner's rights. A unit the caller "
                       "may not see answers 404. Errors: {\"error\": {\"code\", \"message\"}}.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/me": {"get": {
            "summary": "The token owner and their memberships",
            "operationId": "getMe",
            "responses": _responses({"$ref": "#/components/schemas/Me"}, 401)}},
        "/units/{code}": {"get": {
            "summary": "One unit with its parent and visible children",
            "operationId": "getUnit",
            "parameters": [UNIT_CODE],
            "responses": _responses({"$ref": "#/components/schemas/Unit"}, 401, 404)}},
        "/units": {"get": {
            "summary": "The visible subtree below (and including) a unit",
            "operationId": "listUnits",
            "parameters": [{"name": "under", "in": "query", "required": True,
                            "schema": {"type": "string", "maxLength": 32}}],
            "responses": _responses({"$ref": "#/components/schemas/UnitList"},
                                    400, 401, 404)}},
        "/frameworks": {"get": {
            "summary": "Frameworks (provincial plans) the caller may read",
            "operationId": "listFrameworks",
            "responses": _responses({"$ref": "#/components/schemas/FrameworkList"}, 401)}},
        "/frameworks/{framework_id}": {"get": {
            "summary": "A framework version: outline, indicators, responsibilities, periods",
            "operationId": "getFramework",
            "parameters": [
                {"name": "framework_id", "in": "path", "required": True,
                 "schema": {"type": "integer"}},
                {"name": "version", "in": "query", "required": False,
                 "description": "a version number (default: the one in force)",
                 "schema": {"type": "integer"}}],
            "responses": _responses({"$ref": "#/components/schemas/Framework"}, 401, 404)}},
        "/units/{code}/plans": {"get": {
            "summary": "A unit's plans: one per framework it implements",
            "operationId": "listUnitPlans", "parameters": [UNIT_CODE],
            "responses": _responses({"type": "object", "required": ["plans"], "properties": {
                "plans": {"type": "array", "items": {"type": "object"}}}}, 401, 404)}},
        "/plans/{plan_id}": {"get": {
            "summary": "A plan with every revision: sections, tasks, targets, signature",
            "operationId": "getPlan",
            "parameters": [{"name": "plan_id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "responses": _responses({"$ref": "#/components/schemas/Plan"}, 401, 404)}},
        "/plans/{plan_id}/export.docx": {"get": {
            "summary": "The plan as a Word document in the Decree 30 format (the revision in "
                       "force, else the latest, marked DỰ THẢO)",
            "operationId": "exportPlan",
            "parameters": [{"name": "plan_id", "in": "path", "required": True,
                            "schema": {"type": "integer"}},
                           {"name": "revision", "in": "query", "required": False,
                            "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "The .docx", "content": {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
                    "schema": {"type": "string", "format": "binary"}}}},
                "401": {"description": "Missing, wrong or revoked token",
                        "content": {"application/json": {"schema": _ERROR}}},
                "404": {"description": "No such plan, or not visible to the caller",
                        "content": {"application/json": {"schema": _ERROR}}}}}},
        "/units/{code}/aggregates": {"get": {
            "summary": "The live aggregate of the unit's subtree for a year: each indicator "
                       "by its rule, reporting rate and timeliness, and each child's",
            "operationId": "getAggregates",
            "parameters": [UNIT_CODE, {"name": "year", "in": "query", "required": True,
                                       "schema": {"type": "integer"}}, FRAMEWORK_CHOICE,
                           {"name": "as", "in": "query", "required": False,
                            "description": "was: the units as they were that year; by "
                                           "default as they are now, reports of merged "
                                           "units counting for their successors",
                            "schema": {"type": "string", "enum": ["now", "was"]}}],
            "responses": _responses({"$ref": "#/components/schemas/Aggregate"}, 400, 401,
                                    404)}},
        "/units/{code}/progress": {"get": {
            "summary": "Health of each indicator against the value expected this year, its "
                       "projection to the final year (gap, pace needed), the health of each "
                       "group of indicators, and the confidence ratings of tasks in progress",
            "operationId": "getProgress",
            "parameters": [UNIT_CODE, {"name": "year", "in": "query", "required": False,
                                       "schema": {"type": "integer"}}, FRAMEWORK_CHOICE,
                           {"name": "as", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["now", "was"]}}],
            "responses": {**_responses({"$ref": "#/components/schemas/Progress"}, 401, 404),
                          "403": {"description": "The caller does not read the unit's "
                                                 "whole subtree (as the dashboard)",
                                  "content": {"application/json": {"schema": _ERROR}}}}}},
        "/units/{code}/consolidations": {"post": {
            "summary": "Start a consolidation of the unit's subtree for a year (or join the "
                       "one already running); it runs in the background",
            "operationId": "startConsolidation", "parameters": [UNIT_CODE, FRAMEWORK_CHOICE],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["year"],
                "properties": {"year": {"type": "integer"}}}}}},
            "responses": {"202": {"description": "Queued, running or done", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Consolidation"}}}},
                **{str(c): {"description": d, "content": {"application/json": {
                    "schema": _ERROR}}} for c, d in (
                    (400, "No year"), (401, "Missing, wrong or revoked token"),
                    (403, "Not a consolidator or leader of the unit"),
                    (404, "No such unit or period"), (422, "Refused"),
                    (503, "The job queue cannot take it now"))}}}},
        "/consolidations/{consolidation_id}": {"get": {
            "summary": "A consolidation: status, progress, and its result when done",
            "operationId": "getConsolidation",
            "parameters": [{"name": "consolidation_id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "responses": _responses({"$ref": "#/components/schemas/Consolidation"}, 401,
                                    404)}},
        "/units/{code}/reports/{year}": {
            "get": {"summary": "A unit's yearly report: values, task statuses, narrative",
                    "operationId": "getReport", "parameters": [UNIT_CODE, YEAR, FRAMEWORK_CHOICE],
                    "responses": _responses({"$ref": "#/components/schemas/Report"}, 401,
                                            404)},
            "put": {"summary": "Start or change the report; replaces what it names, leaves "
                               "the rest; all or nothing",
                    "operationId": "putReport", "parameters": [UNIT_CODE, YEAR, FRAMEWORK_CHOICE],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ReportBody"}}}},
                    "responses": {**_responses({"$ref": "#/components/schemas/Report"}, 400,
                                               401, 404),
                                  "403": {"description": "Not a drafter or head of the unit",
                                          "content": {"application/json": {"schema": _ERROR}}},
                                  "422": {"description": "Refused, with every problem by field",
                                          "content": {"application/json": {"schema": _ERROR}}}}}},
        "/units/{code}/reports/{year}/transitions": {"post": {
            "summary": "hand_over (a drafter or the head of the unit), send_back / submit "
                       "(the unit head), return / accept / reopen (the reviewer level)",
            "description": "hand_over: an editable report (draft, returned, reopened) to the "
                           "unit head, with every task's status given; send_back (a reason "
                           "required): back to the status it was handed over from; submit: "
                           "an editable or handed-over report to the reviewer; return (a "
                           "reason required): submitted → returned; accept: submitted → "
                           "accepted; reopen (a reason required): accepted → reopened.",
            "operationId": "reportTransition", "parameters": [UNIT_CODE, YEAR, FRAMEWORK_CHOICE],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["action"], "properties": {
                    "action": {"type": "string",
                               "enum": ["hand_over", "send_back", "submit", "return",
                                        "accept", "reopen"]},
                    "reason": {"type": "string"}}}}}},
            "responses": {**_responses({"$ref": "#/components/schemas/Report"}, 400, 401, 404),
                          "403": {"description": "Not allowed for this action (a drafter "
                                                 "hands over; only the unit head submits)",
                                  "content": {"application/json": {"schema": _ERROR}}},
                          "422": {"description": "Refused (a missing reason, a wrong state)",
                                  "content": {"application/json": {"schema": _ERROR}}}}}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}}}}},
            "Me": {"type": "object", "required": ["username", "memberships"], "properties": {
                "username": {"type": "string"},
                "full_name": {"type": "string"},
                "platform_admin": {"type": "boolean"},
                "memberships": {"type": "array", "items": {
                    "type": "object", "required": ["unit", "role"], "properties": {
                        "unit": {"type": "string"},
                        "role": {"type": "string", "enum": [
                            "drafter", "head", "reviewer", "consolidator", "leader",
                            "admin"]}}}}}},
            "UnitSummary": {"type": "object", "required": ["code", "name", "kind", "parent"],
                            "properties": {
                                "code": {"type": "string"}, "name": {"type": "string"},
                                "kind": {"type": "string"},
                                "parent": {"type": ["string", "null"]}}},
            "Unit": {"allOf": [{"$ref": "#/components/schemas/UnitSummary"}, {
                "type": "object", "required": ["children"], "properties": {
                    "children": {"type": "array", "items": {"type": "string"}}}}]},
            "FrameworkSummary": {"type": "object", "required": [
                "id", "name", "owner", "published_version"], "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"},
                    "owner": {"type": "string"}, "parent": {"type": ["integer", "null"]},
                    "published_version": {"type": ["integer", "null"]},
                    "draft_version": {"type": ["integer", "null"]}}},
            "FrameworkList": {"type": "object", "required": ["frameworks"], "properties": {
                "frameworks": {"type": "array",
                               "items": {"$ref": "#/components/schemas/FrameworkSummary"}}}},
            "OutlineNode": {"type": "object", "required": ["path", "label", "kind", "title",
                                                           "text", "children"], "properties": {
                "path": {"type": "string"}, "label": {"type": "string"},
                "kind": {"type": "string"}, "title": {"type": "string"},
                "text": {"type": "string"},
                "children": {"type": "array",
                             "items": {"$ref": "#/components/schemas/OutlineNode"}}}},
            "Framework": {"allOf": [{"$ref": "#/components/schemas/FrameworkSummary"}, {
                "type": "object",
                "required": ["version", "outline", "indicators", "responsibilities", "periods"],
                "properties": {
                    "version": {"type": "object"},
                    "outline": {"type": "array",
                                "items": {"$ref": "#/components/schemas/OutlineNode"}},
                    "indicators": {"type": "array", "items": {"type": "object", "properties": {
                        "code": {"type": "string"}, "kind": {"type": "string", "enum": [
                            "count", "ratio", "yes_no", "amount", "text"]},
                        "aggregation": {"type": "string", "enum": [
                            "sum", "ratio_of_sums", "share_of_expected", "none"]},
                        "time_behaviour": {"type": "string", "enum": [
                            "per_year", "cumulative", "stock"]},
                        "target": {"type": ["number", "null"]},
                        "targets": {"type": "object",
                                    "additionalProperties": {"type": "number"}}}}},
                    "responsibilities": {"type": "array", "items": {"type": "object"}},
                    "periods": {"type": "array", "items": {"type": "object", "properties": {
                        "year": {"type": "integer"}, "due_date": {"type": "string"},
                        "cutoff_date": {"type": "string"},
                        "lock_date": {"type": ["string", "null"]}}}}}}]},
            "Plan": {"type": "object", "required": ["id", "unit", "framework", "revisions"],
                     "properties": {
                         "id": {"type": "integer"}, "unit": {"type": "string"},
                         "framework": {"type": "integer"},
                         "in_force": {"type": ["integer", "null"]},
                         "revisions": {"type": "array", "items": {"type": "object", "properties": {
                             "number": {"type": "integer"},
                             "status": {"type": "string", "enum": [
                                 "draft", "submitted", "issued", "superseded"]},
                             "doc_number": {"type": ["string", "null"]},
                             "sections": {"type": "object"},
                             "tasks": {"type": "array", "items": {"type": "object"}},
                             "targets": {"type": "array", "items": {"type": "object"}}}}}}},
            "Reporting": {"type": "object", "properties": {
                "expected": {"type": "integer"}, "submitted": {"type": "integer"},
                "on_time": {"type": "integer"}, "accepted": {"type": "integer"},
                "rate": {"type": ["number", "null"]},
                "timeliness": {"type": ["number", "null"]}}},
            "Aggregate": {"type": "object", "required": ["unit", "year", "indicators",
                                                         "reporting", "children"],
                          "properties": {
                              "unit": {"type": "string"}, "year": {"type": "integer"},
                              "indicators": {"type": "object", "additionalProperties": {
                                  "type": "object", "description": 'ratios as fractions: '
                                  '{"value", "numerator", "denominator"}, sums {"value"}, '
                                  'texts {"texts": [{"unit", "text"}]}'}},
                              "reporting": {"$ref": "#/components/schemas/Reporting"},
                              "obligations": {"type": "array", "description": (
                                  "the live aggregate only (not a consolidation's "
                                  "snapshot): each reporting obligation's reporting for "
                                  "the year, the totals' reporting split by who reports; "
                                  "each child has its own"), "items": {
                                  "$ref": "#/components/schemas/ObligationReporting"}},
                              "children": {"type": "array", "items": {"type": "object"}}}},
            "ObligationReporting": {"type": "object", "properties": {
                "obligation": {"type": ["integer", "null"],
                               "description": "its id; null: the framework's implicit "
                                              "default obligation"},
                "name": {"type": "string"},
                "reporters": {"type": "array", "items": {"type": "string"},
                              "description": "the kinds of unit that report under it"},
                "receiver": {"type": ["string", "null"],
                             "description": "the code of the unit that receives them"},
                "receiver_name": {"type": ["string", "null"]},
                "due_date": {"type": "string", "format": "date",
                             "description": "its due date for the year's period"},
                "expected": {"type": "integer"}, "submitted": {"type": "integer"},
                "on_time": {"type": "integer"}, "accepted": {"type": "integer"},
                "rate": {"type": ["number", "null"]},
                "timeliness": {"type": ["number", "null"]}}},
            "Consolidation": {"type": "object", "required": ["id", "status", "progress"],
                              "properties": {
                                  "id": {"type": "integer"}, "unit": {"type": "string"},
                                  "year": {"type": "integer"}, "snapshot": {"type": "integer"},
                                  "status": {"type": "string", "enum": [
                                      "queued", "running", "done", "failed"]},
                                  "progress": {"type": "integer"}, "step": {"type": "string"},
                                  "error": {"type": ["string", "null"]},
                                  "job_id": {"type": "string"}, "stale": {"type": "boolean"},
                                  "finished_at": {"type": ["string", "null"]},
                                  "result": {"oneOf": [
                                      {"$ref": "#/components/schemas/Aggregate"},
                                      {"type": "null"}]}}},
            "ReportBody": {"type": "object", "properties": {
                "values": {"type": "object", "additionalProperties": {"type": "object"},
                           "description": 'by indicator code: {"value": n|true|false} or '
                                          '{"numerator": n, "denominator": n} or {"text": s}, '
                                          'with an optional "note"'},
                "tasks": {"type": "object", "additionalProperties": {
                    "type": "object", "properties": {
                        "status": {"type": "string", "enum": [
                            "done_on_time", "done_late", "in_progress", "overdue"]},
                        "result": {"type": "string"},
                        "confidence": {"type": ["string", "null"], "enum": [
                            "green", "amber_green", "amber", "amber_red", "red", None],
                            "description": "for a task not done yet (in_progress, "
                                           "overdue); dropped for a task done"}}}},
                "narrative": {"type": "object", "properties": {
                    "results": {"type": "string"}, "difficulties": {"type": "string"},
                    "proposals": {"type": "string"}}},
                "explanations": {"type": "object", "additionalProperties": {
                    "type": ["string", "null"]},
                    "description": "by validation rule id: the unit's explanation "
                                   "(giải trình) of a rule its report breaks; empty or "
                                   "null removes it (docs/validation.md)"}}},
            "Report": {"allOf": [{"$ref": "#/components/schemas/ReportBody"}, {
                "type": "object", "required": ["unit", "year", "status"], "properties": {
                    "unit": {"type": "string"}, "year": {"type": "integer"},
                    "status": {"type": "string", "enum": [
                        "draft", "with_head", "submitted", "returned", "accepted",
                        "reopened"]},
                    "submitted_at": {"type": ["string", "null"]},
                    "accepted_at": {"type": ["string", "null"]},
                    "violations": {"type": "array", "description": "the validation rules "
                                   "the report breaks now; a high-importance one blocks "
                                   "submission until explained", "items": {
                        "type": "object", "properties": {
                            "rule": {"type": "integer"}, "name": {"type": "string"},
                            "importance": {"type": "string",
                                           "enum": ["high", "medium", "low"]},
                            "instruction": {"type": "string"},
                            "indicators": {"type": "array", "items": {"type": "string"}},
                            "left": {"type": "string"}, "right": {"type": "string"},
                            "explanation": {"type": ["string", "null"]}}}}}}]},
            "Progress": {"type": "object", "required": ["unit", "year", "thresholds",
                                                        "indicators", "groups", "tasks"],
                         "description": "docs/progress.md: health bands, the capped "
                                        "roll-up, the time-weighted projection",
                         "properties": {
                "unit": {"type": "string"}, "year": {"type": "integer"},
                "thresholds": {"type": "object", "properties": {
                    "on_track": {"type": "number"}, "behind": {"type": "number"}}},
                "indicators": {"type": "object", "additionalProperties": {
                    "$ref": "#/components/schemas/IndicatorProgress"}},
                "groups": {"type": "array", "items": {"type": "object", "properties": {
                    "code": {"type": "string"}, "title": {"type": "string"},
                    "indicators": {"type": "array", "items": {"type": "string"}},
                    "health": {"$ref": "#/components/schemas/Health"},
                    "score": {"type": ["number", "null"]}, "counted": {"type": "integer"},
                    "no_data": {"type": "integer"},
                    "by_band": {"type": "object",
                                "additionalProperties": {"type": "integer"}}}}},
                "tasks": {"type": "object", "properties": {
                    "confidence": {"type": "object", "properties": {
                        level: {"type": "integer"} for level in (
                            "green", "amber_green", "amber", "amber_red", "red")}},
                    "unrated": {"type": "integer"}}}}},
            "Health": {"type": ["string", "null"], "enum": [
                "achieved", "on_track", "behind", "at_risk", "not_started", "no_data", None],
                       "description": "null: not assessed (no target at this level)"},
            "IndicatorProgress": {"type": "object", "properties": {
                "value": {"type": ["number", "null"]},
                "expected": {"type": ["number", "null"]},
                "health": {"$ref": "#/components/schemas/Health"},
                "ratio": {"type": ["number", "null"]}, "score": {"type": ["number", "null"]},
                "projection": {"type": "object", "properties": {
                    "years_reported": {"type": "integer"},
                    "enough": {"type": "boolean",
                               "description": "false: fewer than two reported years, "
                                              "nothing projected"},
                    "final_year": {"type": ["integer", "null"]},
                    "target": {"type": ["number", "null"]},
                    "projected": {"type": ["number", "null"]},
                    "pace": {"type": ["number", "null"]},
                    "pace_needed": {"type": ["number", "null"]},
                    "gap": {"type": ["number", "null"]},
                    "relative_gap": {"type": ["number", "null"]},
                    "will_reach": {"type": ["boolean", "null"]}}}}},
            "UnitList": {"type": "object", "required": ["units"], "properties": {
                "units": {"type": "array",
                          "items": {"$ref": "#/components/schemas/UnitSummary"}}}},
        },
    },
}
