"""Pydantic models of the spec files in ``specs/`` (format documented in ``specs/README.md``).

Validation happens once, on load: each quantity is parsed with the package registry and checked
against the dimension its field must have; ranges are ordered; dense <= sparse; names are
well-formed. Cross-file checks (source ids resolve, names and aliases unique) are in ``specs.py``.
"""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from ..units import format_quantity as _fq, parse_quantity

__all__ = [
    "PRECISIONS",
    "FLOAT_PRECISIONS",
    "INTEGER_PRECISIONS",
    "TENSOR_FLOAT_PRECISIONS",
    "Source",
    "QuantityEntry",
    "Device",
    "Cluster",
    "Run",
    "Threshold",
    "System",
    "default_entry",
]

#: Precision keys of ``device.compute``, in display order.
PRECISIONS = ("fp64", "fp64_tensor", "fp32", "fp32_tensor", "tf32", "bf16", "fp16", "fp8", "fp6", "fp4", "int8", "int4")
INTEGER_PRECISIONS = frozenset({"int8", "int4"})
FLOAT_PRECISIONS = tuple(p for p in PRECISIONS if p not in INTEGER_PRECISIONS)
#: Floating-point formats of tensor math in training and inference (FP64/FP32 tensor paths: HPC, not counted).
TENSOR_FLOAT_PRECISIONS = ("tf32", "bf16", "fp16", "fp8", "fp6", "fp4")

_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, defer_build=True)


class Source(_Strict):
    id: str
    title: str
    publisher: str
    url: str
    kind: Literal[
        "datasheet", "whitepaper", "product-page", "paper", "model-card", "press-release",
        "news", "estimate", "blog", "regulation", "documentation", "statement", "other",
    ]
    revision: str = ""
    date: str
    accessed: str
    notes: str = ""

    @field_validator("id")
    @classmethod
    def _id_form(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"source id {v!r} must be lowercase letters, digits, '.' and '-'")
        return v

    def cite(self, accessed: bool = False) -> str:
        """One-line reference: ``Title. Publisher, revision, date. URL (accessed ...)``."""
        rev = f", {self.revision}" if self.revision else ""
        tail = f" (accessed {self.accessed})" if accessed else ""
        return f"{self.title}. {self.publisher}{rev}, {self.date or 'n.d.'}. {self.url}{tail}"

    @field_validator("url")
    @classmethod
    def _url_form(cls, v: str) -> str:
        if not v.startswith(("https://", "http://")):
            raise ValueError(f"url {v!r} must start with https:// or http://")
        return v


#: How far a figure can be trusted, by who said it: ``paper`` (a technical report or paper by the
#: lab or vendor), ``model-card``, ``lab-statement`` (a lab's blog, post or executive's remark),
#: ``vendor-statement``, ``estimate`` (an OUTSIDE party's estimate, e.g. Epoch AI or SemiAnalysis:
#: never the lab's own figure), ``speculative`` / ``rumour`` (unconfirmed reports).
Confidence = Literal["paper", "model-card", "lab-statement", "vendor-statement", "estimate", "speculative", "rumour"]

_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def _check_date(v: str, what: str = "date") -> str:
    if not _DATE.match(v):
        raise ValueError(f"{what} {v!r} must be YYYY, YYYY-MM or YYYY-MM-DD")
    return v


class QuantityEntry(_Strict):
    """A sourced quantity: ``{value = "989.4 TFLOP/s", source = "...", derived = "sparse / 2"}``.

    Subclasses fix ``dimension``; ``value``, ``min`` and ``max`` are parsed into pint quantities
    of that dimension. ``value`` is the figure used in calculations (for a TDP range, the maximum).
    """

    dimension: ClassVar[str] = "dimensionless"
    allow_zero: ClassVar[bool] = False

    value: Any
    source: str
    min: Any = None
    max: Any = None
    derived: str = ""
    note: str = ""
    date: str = ""
    confidence: Confidence | None = None

    @field_validator("value", "min", "max", mode="before")
    @classmethod
    def _parse(cls, v: Any, info) -> Any:
        if v is None:
            return None
        quantity = parse_quantity(v, cls.dimension, what=info.field_name)
        magnitude = quantity.magnitude
        if not math.isfinite(magnitude) or magnitude < 0 or (magnitude == 0 and not cls.allow_zero):
            raise ValueError(f"{info.field_name} must be positive and finite, got {v!r}")
        return quantity

    @model_validator(mode="after")
    def _ordered(self) -> "QuantityEntry":
        if self.min is not None and self.min > self.value:
            raise ValueError(f"min ({_fq(self.min)}) is above value ({_fq(self.value)})")
        if self.max is not None and self.max < self.value:
            raise ValueError(f"max ({_fq(self.max)}) is below value ({_fq(self.value)})")
        return self


def _entry(name: str, dimension: str, allow_zero: bool = False) -> type[QuantityEntry]:
    return type(name, (QuantityEntry,), {"dimension": dimension, "allow_zero": allow_zero, "__module__": __name__})


ComputeRate = _entry("ComputeRate", "compute_rate")
OpsRate = _entry("OpsRate", "ops_rate")
Information = _entry("Information", "information")
Bandwidth = _entry("Bandwidth", "bandwidth")
Power = _entry("Power", "power")
Money = _entry("Money", "currency")
HourlyRate = _entry("HourlyRate", "hourly_rate")
Compute = _entry("Compute", "compute")
Duration = _entry("Duration", "time")
DeviceTime = _entry("DeviceTime", "device_time")
Energy = _entry("Energy", "energy")
Emissions = _entry("Emissions", "emissions")
Ratio = _entry("Ratio", "dimensionless")
Count = _entry("Count", "dimensionless")


class FloatPrecision(_Strict):
    dense: ComputeRate | None = None
    sparse: ComputeRate | None = None

    @model_validator(mode="after")
    def _dense_le_sparse(self):
        if self.dense is None and self.sparse is None:
            raise ValueError("give dense and/or sparse")
        if self.dense is not None and self.sparse is not None and self.dense.value > self.sparse.value:
            raise ValueError(f"dense ({_fq(self.dense.value)}) exceeds sparse ({_fq(self.sparse.value)})")
        return self


class IntPrecision(FloatPrecision):
    dense: OpsRate | None = None
    sparse: OpsRate | None = None


class ComputeTable(_Strict):
    fp64: FloatPrecision | None = None
    fp64_tensor: FloatPrecision | None = None
    fp32: FloatPrecision | None = None
    fp32_tensor: FloatPrecision | None = None
    tf32: FloatPrecision | None = None
    bf16: FloatPrecision | None = None
    fp16: FloatPrecision | None = None
    fp8: FloatPrecision | None = None
    fp6: FloatPrecision | None = None
    fp4: FloatPrecision | None = None
    int8: IntPrecision | None = None
    int4: IntPrecision | None = None


class Memory(_Strict):
    capacity: Information | None = None
    bandwidth: Bandwidth | None = None


class PowerTable(_Strict):
    """``tdp`` is a rated figure (TDP / TBP / max configurable power). ``measured_max`` and
    ``measured_mean`` are a vendor's MEASURED draw (e.g. Google prints TPU v4's measured min/mean/max
    power, not a rating): they are kept apart so a measured maximum is never summed as a TDP."""

    tdp: Power | None = None
    measured_max: Power | None = None
    measured_mean: Power | None = None


class Interconnect(_Strict):
    name: str = ""
    bandwidth: Bandwidth
    direction: Literal["bidirectional", "per-direction", "unstated"]  # unstated: the vendor prints no direction


#: What a price covers. ``accelerator``: the device alone; ``board-share``: a baseboard/kit price
#: divided by its device count (includes the board); ``server-share``: a server or system price
#: divided by its device count (includes CPUs, memory, networking, chassis); ``superchip-share``:
#: a CPU+GPU superchip price divided by its GPUs; ``rack-share``: a rack price divided by its GPUs.
PriceScope = Literal["accelerator", "board-share", "server-share", "superchip-share", "rack-share"]


class UnitPrice(Money):
    """A dated, sourced unit price with its scope (see :data:`PriceScope`)."""

    scope: PriceScope
    date: str

    @field_validator("date")
    @classmethod
    def _date_form(cls, v: str) -> str:
        return _check_date(v, "price date")


class PriceTable(_Strict):
    """``unit_price``, or ``no_citable_price`` saying why none is given (never a made-up figure)."""

    unit_price: UnitPrice | None = None
    no_citable_price: str = ""

    @model_validator(mode="after")
    def _one(self):
        if (self.unit_price is None) == (not self.no_citable_price):
            raise ValueError("give unit_price or no_citable_price (the reason no citable price exists), not both")
        return self


#: What a rental rate is: ``on-demand`` list price, a ``reserved-1y`` / ``reserved-3y`` commitment rate, or a
#: ``capacity-block`` (a short prepaid reservation of days to weeks, e.g. AWS EC2 Capacity Blocks for ML).
RentalKind = Literal["on-demand", "reserved-1y", "reserved-3y", "capacity-block"]
#: ``accelerator``: a per-chip rate (Cloud TPU); ``server-share``: an instance price / its devices (host included).
RentalScope = Literal["accelerator", "server-share"]


class RentalTable(_Strict):
    """A dated cloud list price per device-hour, its kind and scope; optionally a ``reserved`` rate of ``reserved_kind``."""

    hourly: Any  # USD per device-hour; "1.2 USD/hour" is read as per chip-hour (see validator)
    kind: RentalKind = "on-demand"
    scope: RentalScope
    reserved: Any = None
    reserved_kind: RentalKind | None = None

    @model_validator(mode="after")
    def _reserved_kind(self):
        if (self.reserved is None) != (self.reserved_kind is None):
            raise ValueError("give reserved together with reserved_kind (reserved-1y or reserved-3y), or neither")
        return self

    @field_validator("hourly", "reserved", mode="before")
    @classmethod
    def _per_device_hour(cls, v: Any) -> Any:
        # Cloud price lists print "$/chip-hour" as USD/hour; a device's rental is per device, so a
        # bare per-hour price is taken as per device-hour, and said so in the field's note.
        if isinstance(v, dict) and isinstance(v.get("value"), str) and "/hour" in v["value"].replace(" ", "") and "GPU" not in v["value"] and "device" not in v["value"]:
            v = {**v, "value": v["value"].replace("/hour", "/device_hour").replace("/ hour", "/device_hour")}
            for key in ("min", "max"):
                if isinstance(v.get(key), str):
                    v[key] = v[key].replace("/hour", "/device_hour")
        return None if v is None else HourlyRate.model_validate(v)


class DateEntry(_Strict):
    """A sourced date: ``{ date = "2024-03-18", source = "...", note = "..." }``."""

    date: str
    source: str
    note: str = ""
    confidence: Confidence | None = None

    @field_validator("date")
    @classmethod
    def _date_form(cls, v: str) -> str:
        return _check_date(v)


class DeviceDates(_Strict):
    """``announced``: first public announcement; ``available``: first shipping / general availability."""

    announced: DateEntry | None = None
    available: DateEntry | None = None

    @model_validator(mode="after")
    def _order(self):
        if self.announced is not None and self.available is not None and self.available.date[:len(self.announced.date)] < self.announced.date[:len(self.available.date)]:
            raise ValueError(f"available ({self.available.date}) is before announced ({self.announced.date})")
        return self


class Device(_Strict):
    name: str
    vendor: str
    family: str = ""
    aliases: tuple[str, ...] = ()
    form_factor: str = ""
    launch_year: int = Field(ge=2010, le=2035)  # the year it first shipped (dates.available), for sorting
    dates: DeviceDates = DeviceDates()
    memory_type: str = ""
    notes: str = ""
    compute: ComputeTable
    memory: Memory = Memory()
    power: PowerTable = PowerTable()
    interconnect: Interconnect | None = None
    price: PriceTable | None = None
    rental: RentalTable | None = None
    see_also: tuple[str, ...] = ()  # source ids cited in notes (revisions, disagreeing copies)
    _base_values: dict = PrivateAttr(default_factory=dict)  # memo of cluster.device_value

    def dated(self):
        """The sourced dates as (field path, entry) pairs."""
        for key in ("announced", "available"):
            entry = getattr(self.dates, key)
            if entry is not None:
                yield f"dates.{key}", entry

    def precisions(self) -> dict[str, FloatPrecision]:
        """The precisions this device has, in display order."""
        return {p: getattr(self.compute, p) for p in PRECISIONS if getattr(self.compute, p) is not None}

    def peak(self, precision: str, sparse: bool = False) -> QuantityEntry | None:
        """The sourced peak entry for a precision (dense by default), or None where not published."""
        table = getattr(self.compute, precision, None)
        if table is None:
            return None
        return table.sparse if sparse else table.dense

    def entries(self):
        """Every sourced quantity of the device as (field path, entry) pairs, for display and checks."""
        for precision, table in self.precisions().items():
            for kind in ("dense", "sparse"):
                entry = getattr(table, kind)
                if entry is not None:
                    yield f"compute.{precision}.{kind}", entry
        for key in ("capacity", "bandwidth"):
            entry = getattr(self.memory, key)
            if entry is not None:
                yield f"memory.{key}", entry
        for key in ("tdp", "measured_max", "measured_mean"):
            entry = getattr(self.power, key)
            if entry is not None:
                yield f"power.{key}", entry
        if self.interconnect is not None:
            yield "interconnect.bandwidth", self.interconnect.bandwidth
        if self.price is not None and self.price.unit_price is not None:
            yield "price.unit_price", self.price.unit_price
        if self.rental is not None:
            yield "rental.hourly", self.rental.hourly
            if self.rental.reserved is not None:
                yield "rental.reserved", self.rental.reserved


class System(_Strict):
    """A vendor's rated system (server or rack) power and the devices it holds (``specs/systems.toml``).

    ``power`` is the rated maximum input of the whole system (GPUs, CPUs, memory, NICs, switches
    inside it, fans, PSU losses); ``power / devices`` is the per-device IT power the model uses in
    place of TDP x a generic overhead. ``primary`` marks the one used for ``device`` where several exist."""

    name: str
    device: str
    devices: int = Field(gt=0)
    scope: Literal["server", "rack"]
    power: Power
    primary: bool = False
    notes: str = ""
    see_also: tuple[str, ...] = ()


class ClusterMember(_Strict):
    """``count`` is the figure used in arithmetic. A vague count ("hundreds of thousands") is a range:
    ``count`` is its LOW end (the most the source supports), ``max`` the high end where the source
    gives one, and ``stated`` quotes the source's words; outputs show the range, never only a number."""

    device: str
    count: int = Field(gt=0)
    max: int | None = Field(default=None, gt=0)
    stated: str = ""  # the source's own wording of a vague count
    source: str = ""  # where the member's device or count has its own source (else the cluster's)

    @model_validator(mode="after")
    def _range(self):
        if self.max is not None and self.max < self.count:
            raise ValueError(f"max ({self.max:,}) is below count ({self.count:,}); count is the low end of a range")
        return self

    @property
    def ranged(self) -> bool:
        return self.max is not None or bool(self.stated)


class Cluster(_Strict):
    name: str
    aliases: tuple[str, ...] = ()
    owner: str = ""
    date: str = ""  # when the cluster had this device mix (YYYY, YYYY-MM or YYYY-MM-DD)
    status: Literal["operational", "partly-operational", "under-construction", "planned", ""] = ""
    members: tuple[ClusterMember, ...] = Field(min_length=1)
    source: str
    confidence: Confidence
    power: Power | None = None  # facility / IT power where published
    pue: Ratio | None = None  # the site's reported PUE, where published
    notes: str = ""
    see_also: tuple[str, ...] = ()

    @property
    def ranged(self) -> bool:
        return any(m.ranged for m in self.members)


class RunCluster(_Strict):
    device: str
    count: int = Field(gt=0)
    source: str
    confidence: Confidence | None = None
    note: str = ""
    min: int | None = None
    max: int | None = None


class Statement(_Strict):
    source: str
    text: str
    date: str = ""


class Run(_Strict):
    name: str
    aliases: tuple[str, ...] = ()
    organization: str = ""
    year: int | None = None
    notes: str = ""
    training_compute: Compute | None = None
    cluster: RunCluster | None = None
    duration: Duration | None = None
    mfu: Ratio | None = None
    parameters: Count | None = None  # total parameters (for a mixture-of-experts model, all experts)
    active_params: Count | None = None  # MoE: parameters active per token (the N of 6·N·D for MoE)
    tokens: Count | None = None
    gpu_hours: DeviceTime | None = None
    power: Power | None = None
    energy: Energy | None = None
    emissions: Emissions | None = None
    throughput_per_device: ComputeRate | None = None
    statement: tuple[Statement, ...] = ()
    cluster_ref: str = ""  # a known cluster (clusters.toml) the run was trained on, where sourced
    architecture: str = ""  # the model's published architecture (models.toml), where one is recorded

    @model_validator(mode="after")
    def _active_le_total(self):
        if self.active_params is not None and self.parameters is not None and self.active_params.value > self.parameters.value:
            raise ValueError("active_params exceeds parameters (total)")
        return self

    @model_validator(mode="after")
    def _mfu_range(self):
        if self.mfu is not None and not 0 < self.mfu.value.m_as("") <= 1:
            raise ValueError(f"mfu must be in (0, 1], got {_fq(self.mfu.value)}")
        return self


class Threshold(_Strict):
    id: str
    name: str
    jurisdiction: str
    instrument: str
    compute: Compute
    status: str
    status_source: str = ""  # the source of the status (e.g. the order that revoked it), if not compute's
    notes: str = ""


def default_entry(dimension: str) -> type[QuantityEntry]:
    """The model of a ``[[default]]`` entry whose value must have ``dimension`` (see specs.py)."""
    if dimension not in _DEFAULT_ENTRIES:
        _DEFAULT_ENTRIES[dimension] = _entry(f"Default_{dimension}", dimension)
    return _DEFAULT_ENTRIES[dimension]


_DEFAULT_ENTRIES: dict[str, type[QuantityEntry]] = {}


def __getattr__(name: str):
    """``Default_<dimension>`` classes are made on demand; this finds them by name (unpickling the catalog cache)."""
    if name.startswith("Default_"):
        return default_entry(name.removeprefix("Default_"))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
