"""CloudWatch alarms, anomaly detectors, composite alarms and Logs query definitions as AWS documents them.

Importing this module patches moto 5.2.5 in place (``moto_server.py`` imports it). moto
accepts any PutMetricAlarm, starts every alarm in ``OK``, applies tags on update, returns
composite alarms from DescribeAlarms unasked, and lacks anomaly detectors, PutCompositeAlarm
and Logs query definitions. Shapes follow the botocore models
``cloudwatch/2010-08-01/service-2.json`` and ``logs/2014-03-28/service-2.json``; where the
API reference documents no wording the messages are the harness's own (see README.md).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from moto.cloudwatch.exceptions import (
    InvalidParameterCombination,
    InvalidParameterValue,
    ValidationError,
)
from moto.cloudwatch.models import CloudWatchBackend
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, EmptyResult
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.models import LogsBackend
from moto.logs.responses import LogsResponse

__all__ = ["install", "validate_metric_alarm"]

# --------------------------------------------------------------------------
# CloudWatch: PutMetricAlarm validation and state
# --------------------------------------------------------------------------

#: Comparison operators that compare against an anomaly detection band (API reference:
#: "used only for alarms based on anomaly detection models").
BAND_OPERATORS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
STATIC_OPERATORS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
_BAND = re.compile(r"^\s*ANOMALY_DETECTION_BAND\s*\(\s*([a-z][A-Za-z0-9_]*)\s*(?:,\s*[0-9.]+\s*)?\)\s*$")
_QUERY_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")


class ResourceNotFoundCw(ServiceException):
    """``ResourceNotFoundException`` of DeleteAnomalyDetector (CloudWatch)."""

    code = "ResourceNotFoundException"


# moto finds an error's service model from its module's package (moto.<service>...).
ResourceNotFoundCw.__module__ = "moto.cloudwatch.exceptions"


def _period_ok(period: Any) -> bool:
    return isinstance(period, int) and (period in (10, 20, 30) or (period >= 60 and period % 60 == 0))


def validate_metric_alarm(p: dict[str, Any]) -> None:
    """Raise the error AWS gives for a PutMetricAlarm request ``p`` (botocore member names)."""
    metrics = p.get("Metrics") or []
    single = any(p.get(k) is not None for k in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions"))
    if metrics and single:
        raise InvalidParameterCombination(
            "Metrics cannot be combined with MetricName, Namespace, Dimensions, Statistic or ExtendedStatistic."
        )
    if not metrics and not p.get("MetricName"):
        raise ValidationError("Either MetricName or Metrics must be specified.")
    evaluation = p.get("EvaluationPeriods")
    if not isinstance(evaluation, int) or evaluation < 1:
        raise ValidationError("EvaluationPeriods must be at least 1.")
    datapoints = p.get("DatapointsToAlarm")
    if datapoints is not None and not 1 <= datapoints <= evaluation:
        raise ValidationError("DatapointsToAlarm must be between 1 and EvaluationPeriods.")
    missing = p.get("TreatMissingData")
    if missing is not None and missing not in TREAT_MISSING_DATA:
        raise ValidationError(f"TreatMissingData must be one of {', '.join(TREAT_MISSING_DATA)}.")
    if not metrics:
        if (p.get("Statistic") is None) == (p.get("ExtendedStatistic") is None):
            raise InvalidParameterCombination("Exactly one of Statistic and ExtendedStatistic must be specified.")
        if not p.get("Namespace"):
            raise ValidationError("Namespace is required with MetricName.")
        if not _period_ok(p.get("Period")):
            raise ValidationError("Period must be 10, 20, 30 or a multiple of 60.")

    operator = p.get("ComparisonOperator")
    threshold_id = p.get("ThresholdMetricId")
    ids = [m.get("Id") for m in metrics]
    for m in metrics:
        if not isinstance(m.get("Id"), str) or not _QUERY_ID.match(m["Id"]):
            raise ValidationError(f"Invalid metrics Id {m.get('Id')!r}: it must start with a lowercase letter (a-z, 0-9, _).")
        if (m.get("MetricStat") is None) == (m.get("Expression") is None):
            raise ValidationError(f"Metrics {m['Id']}: exactly one of MetricStat and Expression must be specified.")
        stat = m.get("MetricStat")
        if stat is not None and not _period_ok(stat.get("Period")):
            raise ValidationError(f"Metrics {m['Id']}: Period must be 10, 20, 30 or a multiple of 60.")
    if len(set(ids)) != len(ids):
        raise ValidationError("Metrics Ids must be unique.")

    if operator in BAND_OPERATORS:
        if not threshold_id:
            raise ValidationError(f"ThresholdMetricId is required with the comparison operator {operator}.")
        band = next((m for m in metrics if m.get("Id") == threshold_id), None)
        found = _BAND.match((band or {}).get("Expression") or "")
        if band is None or not found:
            raise ValidationError("ThresholdMetricId must name an ANOMALY_DETECTION_BAND expression of Metrics.")
        if found.group(1) not in ids:
            raise ValidationError(f"ANOMALY_DETECTION_BAND refers to {found.group(1)}, which is not in Metrics.")
        if p.get("Threshold") is not None:
            raise InvalidParameterCombination("Threshold cannot be combined with ThresholdMetricId.")
        returned = [m for m in metrics if m.get("Id") != threshold_id and m.get("ReturnData", True)]
        if [m.get("Id") for m in returned] != [found.group(1)]:
            raise ValidationError("Exactly one metric besides the band, the one it is computed on, must return data.")
    elif operator in STATIC_OPERATORS:
        if threshold_id:
            raise ValidationError(f"ThresholdMetricId is only valid with the comparison operators {', '.join(BAND_OPERATORS)}.")
        if p.get("Threshold") is None:
            raise ValidationError("Threshold is required with a static comparison operator.")
        if metrics and sum(1 for m in metrics if m.get("ReturnData", True)) != 1:
            raise ValidationError("Exactly one of Metrics must have ReturnData true.")
    else:
        raise ValidationError(f"ComparisonOperator {operator!r} is not one of {', '.join(STATIC_OPERATORS + BAND_OPERATORS)}.")


def _install_alarms() -> None:
    original_put = CloudWatchBackend.put_metric_alarm
    original_put_response = CloudWatchResponse.put_metric_alarm
    original_describe = CloudWatchResponse.describe_alarms

    def put_metric_alarm(self: CloudWatchBackend, name: str, *args: Any, **kwargs: Any) -> Any:
        previous = self.alarms.get(name)
        if previous is not None:
            kwargs["tags"] = None  # AWS: tags are ignored when the alarm is updated
        alarm = original_put(self, name, *args, **kwargs)
        if previous is not None:  # an update keeps the state (API reference)
            for attr in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp", "history"):
                setattr(alarm, attr, getattr(previous, attr))
        elif kwargs.get("rule") is None:
            alarm.state_value = "INSUFFICIENT_DATA"
        return alarm

    def response_put_metric_alarm(self: CloudWatchResponse) -> Any:
        params = {k: self._get_param(k) for k in (
            "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period",
            "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator",
            "ThresholdMetricId", "TreatMissingData", "Metrics",
        )}
        validate_metric_alarm(params)
        return original_put_response(self)

    def response_put_composite_alarm(self: CloudWatchResponse) -> Any:
        """PutCompositeAlarm {AlarmName, AlarmRule, AlarmActions?, OKActions?, ...} → {}.
        Every alarm named in the rule (ALARM("x"), OK(x), INSUFFICIENT_DATA(arn)) must exist."""
        name, rule = self._get_param("AlarmName"), self._get_param("AlarmRule")
        if not name or not rule:
            raise ValidationError("AlarmName and AlarmRule are required.")
        if len(rule) > 10240:
            raise ValidationError("AlarmRule is longer than 10240 characters.")
        backend = self.cloudwatch_backend
        referenced = re.findall(r"\b(?:ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*\"?([^\")]+?)\"?\s*\)", rule)
        if not referenced:
            raise ValidationError("AlarmRule must refer to at least one alarm.")
        for ref in referenced:
            ref_name = ref.rsplit(":alarm:", 1)[-1]
            if ref_name not in backend.alarms:
                raise ValidationError(f"Could not save the composite alarm as alarms [{ref_name}] in the alarm rule do not exist")
        backend.put_metric_alarm(
            name=name, namespace=None, metric_name=None, comparison_operator=None,  # type: ignore[arg-type]
            evaluation_periods=None, period=None, threshold=None, statistic=None,  # type: ignore[arg-type]
            description=self._get_param("AlarmDescription"), dimensions=[],
            alarm_actions=self._get_param("AlarmActions", []),
            ok_actions=self._get_param("OKActions", []),
            insufficient_data_actions=self._get_param("InsufficientDataActions", []),
            actions_enabled=self._get_param("ActionsEnabled", True),
            rule=rule, tags=self._get_param("Tags", []),
        )
        return EmptyResult()

    def response_describe_alarms(self: CloudWatchResponse) -> Any:
        """AWS: without ``AlarmTypes`` only metric alarms are returned."""
        result = original_describe(self)
        types = self._get_param("AlarmTypes") or ["MetricAlarm"]
        body = result.result if hasattr(result, "result") else None
        if isinstance(body, dict):
            if "MetricAlarm" not in types:
                body["MetricAlarms"] = []
            if "CompositeAlarm" not in types:
                body["CompositeAlarms"] = []
        return result

    CloudWatchBackend.put_metric_alarm = put_metric_alarm  # type: ignore[method-assign]
    CloudWatchResponse.put_metric_alarm = response_put_metric_alarm  # type: ignore[method-assign]
    CloudWatchResponse.put_composite_alarm = response_put_composite_alarm  # type: ignore[attr-defined]
    CloudWatchResponse.describe_alarms = response_describe_alarms  # type: ignore[method-assign]


# --------------------------------------------------------------------------
# CloudWatch: anomaly detectors
# --------------------------------------------------------------------------


def _detector_key(d: dict[str, Any]) -> str:
    return json.dumps(
        {k: d.get(k) for k in ("SingleMetricAnomalyDetector", "MetricMathAnomalyDetector")}, sort_keys=True
    )


def _detectors(backend: CloudWatchBackend) -> dict[str, dict[str, Any]]:
    if "_warden_detectors" not in backend.__dict__:
        backend.__dict__["_warden_detectors"] = {}
    return backend.__dict__["_warden_detectors"]


def _detector_from_request(r: CloudWatchResponse) -> dict[str, Any]:
    single = r._get_param("SingleMetricAnomalyDetector")
    math = r._get_param("MetricMathAnomalyDetector")
    legacy = {k: r._get_param(k) for k in ("Namespace", "MetricName", "Dimensions", "Stat") if r._get_param(k) is not None}
    if sum(x is not None and x != {} for x in (single, math, legacy or None)) != 1:
        raise InvalidParameterCombination(
            "Specify exactly one of SingleMetricAnomalyDetector, MetricMathAnomalyDetector or the metric parameters."
        )
    if math is not None:
        queries = math.get("MetricDataQueries") or []
        if sum(1 for q in queries if q.get("ReturnData", True)) != 1:
            raise ValidationError("MetricMathAnomalyDetector: exactly one query must have ReturnData true.")
        return {"MetricMathAnomalyDetector": {"MetricDataQueries": queries}}
    single = single or legacy
    for field in ("Namespace", "MetricName", "Stat"):
        if not single.get(field):
            raise ValidationError(f"SingleMetricAnomalyDetector.{field} is required.")
    single = {k: single[k] for k in ("AccountId", "Namespace", "MetricName", "Dimensions", "Stat") if single.get(k) is not None}
    single.setdefault("Dimensions", [])
    single["Dimensions"] = sorted(single["Dimensions"], key=lambda d: (d.get("Name"), d.get("Value")))
    return {"SingleMetricAnomalyDetector": single}


def _install_anomaly_detectors() -> None:
    def put_anomaly_detector(self: CloudWatchResponse) -> Any:
        """PutAnomalyDetector → {}; the same metric again replaces the configuration."""
        detector = _detector_from_request(self)
        configuration = self._get_param("Configuration")
        if configuration is not None:
            if len(configuration.get("ExcludedTimeRanges") or []) > 10:
                raise ValidationError("Configuration.ExcludedTimeRanges: at most 10 time ranges.")
            detector["Configuration"] = configuration
        characteristics = self._get_param("MetricCharacteristics")
        if characteristics is not None:
            detector["MetricCharacteristics"] = characteristics
        detector["StateValue"] = "PENDING_TRAINING"
        _detectors(self.cloudwatch_backend)[_detector_key(detector)] = detector
        return EmptyResult()

    def describe_anomaly_detectors(self: CloudWatchResponse) -> Any:
        """DescribeAnomalyDetectors {Namespace?, MetricName?, Dimensions?, AnomalyDetectorTypes?}
        → {AnomalyDetectors}; one page (no NextToken)."""
        namespace, metric = self._get_param("Namespace"), self._get_param("MetricName")
        dimensions = self._get_param("Dimensions")
        types = self._get_param("AnomalyDetectorTypes") or ["SINGLE_METRIC", "METRIC_MATH"]
        found = []
        for d in _detectors(self.cloudwatch_backend).values():
            single = d.get("SingleMetricAnomalyDetector")
            if single is None:
                if "METRIC_MATH" in types and not (namespace or metric or dimensions):
                    found.append(d)
                continue
            if "SINGLE_METRIC" not in types:
                continue
            if namespace and single["Namespace"] != namespace or metric and single["MetricName"] != metric:
                continue
            if dimensions and not all(dim in single["Dimensions"] for dim in dimensions):
                continue
            found.append({**{k: single[k] for k in ("Namespace", "MetricName", "Dimensions", "Stat")}, **d})
        return ActionResult({"AnomalyDetectors": found})

    def delete_anomaly_detector(self: CloudWatchResponse) -> Any:
        """DeleteAnomalyDetector → {}; a detector that does not exist: ResourceNotFoundException."""
        detector = _detector_from_request(self)
        detectors = _detectors(self.cloudwatch_backend)
        if detectors.pop(_detector_key(detector), None) is None:
            raise ResourceNotFoundCw("Anomaly detector not found")
        return EmptyResult()

    CloudWatchResponse.put_anomaly_detector = put_anomaly_detector  # type: ignore[attr-defined]
    CloudWatchResponse.describe_anomaly_detectors = describe_anomaly_detectors  # type: ignore[attr-defined]
    CloudWatchResponse.delete_anomaly_detector = delete_anomaly_detector  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# Logs: query definitions (Logs Insights saved queries)
# --------------------------------------------------------------------------

QUERY_LANGUAGES = ("CWLI", "SQL", "PPL")


def _query_definitions(backend: LogsBackend) -> dict[str, dict[str, Any]]:
    if "_warden_query_definitions" not in backend.__dict__:
        backend.__dict__["_warden_query_definitions"] = {}
    return backend.__dict__["_warden_query_definitions"]


def _install_query_definitions() -> None:
    def put_query_definition(self: LogsResponse) -> str:
        """PutQueryDefinition {name, queryString, queryDefinitionId?, logGroupNames?,
        queryLanguage?, clientToken?} → {queryDefinitionId}. With an id: updates that
        definition (ResourceNotFoundException if none); without: creates a new one."""
        body = json.loads(self.body or "{}")
        name, query = body.get("name"), body.get("queryString")
        if not isinstance(name, str) or not 1 <= len(name) <= 255:
            raise InvalidParameterException("name must be 1 to 255 characters.")
        if not isinstance(query, str) or not 1 <= len(query) <= 10000:
            raise InvalidParameterException("queryString must be 1 to 10000 characters.")
        language = body.get("queryLanguage", "CWLI")
        if language not in QUERY_LANGUAGES:
            raise InvalidParameterException(f"queryLanguage must be one of {', '.join(QUERY_LANGUAGES)}.")
        groups = body.get("logGroupNames")
        if groups is not None and not isinstance(groups, list):
            raise InvalidParameterException("logGroupNames must be a list.")
        definitions = _query_definitions(self.logs_backend)
        definition_id = body.get("queryDefinitionId")
        if definition_id is not None and definition_id not in definitions:
            raise ResourceNotFoundException("The specified query definition does not exist.")
        definition_id = definition_id or str(uuid.uuid4())
        definition = {
            "queryLanguage": language,
            "queryDefinitionId": definition_id,
            "name": name,
            "queryString": query,
            "lastModified": int(time.time() * 1000),
        }
        if groups:
            definition["logGroupNames"] = groups
        definitions[definition_id] = definition
        return json.dumps({"queryDefinitionId": definition_id})

    def describe_query_definitions(self: LogsResponse) -> str:
        """DescribeQueryDefinitions {queryDefinitionNamePrefix?, queryLanguage?, maxResults?,
        nextToken?} → {queryDefinitions[, nextToken]}, sorted by name."""
        body = json.loads(self.body or "{}")
        prefix, language = body.get("queryDefinitionNamePrefix") or "", body.get("queryLanguage")
        limit = body.get("maxResults", 1000)
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise InvalidParameterException("maxResults must be between 1 and 1000.")
        found = sorted(
            (d for d in _query_definitions(self.logs_backend).values()
             if d["name"].startswith(prefix) and (language is None or d["queryLanguage"] == language)),
            key=lambda d: (d["name"], d["queryDefinitionId"]),
        )
        start = int(body.get("nextToken") or 0)
        page = found[start:start + limit]
        answer: dict[str, Any] = {"queryDefinitions": page}
        if start + limit < len(found):
            answer["nextToken"] = str(start + limit)
        return json.dumps(answer)

    def delete_query_definition(self: LogsResponse) -> str:
        """DeleteQueryDefinition {queryDefinitionId} → {success: true};
        ResourceNotFoundException for an unknown id."""
        body = json.loads(self.body or "{}")
        if _query_definitions(self.logs_backend).pop(body.get("queryDefinitionId"), None) is None:
            raise ResourceNotFoundException("The specified query definition does not exist.")
        return json.dumps({"success": True})

    LogsResponse.put_query_definition = put_query_definition  # type: ignore[attr-defined]
    LogsResponse.describe_query_definitions = describe_query_definitions  # type: ignore[attr-defined]
    LogsResponse.delete_query_definition = delete_query_definition  # type: ignore[attr-defined]


_installed = False


def install() -> None:
    """Apply all patches (idempotent; done on import)."""
    global _installed
    if not _installed:
        _install_alarms()
        _install_anomaly_detectors()
        _install_query_definitions()
        _installed = True


install()
