"""Streaming writers for the row-level sources: dossiers, payments and satisfaction.

Chunks (one province-month) arrive in order and go straight to disk; a writer holds at most one
buffered row group, so memory stays bounded whatever `--dossiers` is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from pipelines.sample_data.simulate import DOSSIER_COLUMNS, STATUS_NAMES

CSV_DATETIME = "%Y-%m-%d %H:%M:%S"
PARQUET_ROW_GROUP = 100_000
UTF8_BOM = b"\xef\xbb\xbf"

# Headers some provincial systems export instead of the canonical names (SOURCES.md §2).
VIETNAMESE_DOSSIER_HEADERS: dict[str, str] = {
    "dossier_id": "Mã hồ sơ",
    "province_code": "Mã tỉnh",
    "province_name": "Tên tỉnh",
    "agency_code": "Mã cơ quan",
    "agency_name": "Tên cơ quan",
    "agency_level": "Cấp cơ quan",
    "commune_code": "Mã xã",
    "procedure_code": "Mã TTHC",
    "procedure_field": "Lĩnh vực",
    "channel": "Kênh tiếp nhận",
    "online_level": "Mức độ DVCTT",
    "received_at": "Ngày tiếp nhận",
    "due_at": "Ngày hẹn trả",
    "resolved_at": "Ngày có kết quả",
    "status_at": "Ngày trả lại/rút hồ sơ",
    "status": "Trạng thái",
    "dossier_digitized": "Số hóa hồ sơ",
    "result_digitized": "Số hóa kết quả",
    "e_result_issued": "Cấp kết quả điện tử",
    "data_reused": "Tái sử dụng dữ liệu",
    "fee_required": "Có thu phí, lệ phí",
    "paid_online": "Thanh toán trực tuyến",
    "fee_amount_vnd": "Số tiền phí, lệ phí (VNĐ)",
}
assert tuple(VIETNAMESE_DOSSIER_HEADERS) == DOSSIER_COLUMNS

PAYMENT_COLUMNS = (
    "transaction_id",
    "dossier_id",
    "province_code",
    "amount_vnd",
    "channel",
    "status",
    "paid_at",
)
SATISFACTION_COLUMNS = (
    "province_code",
    "agency_code",
    "agency_name",
    "procedure_field",
    "period_start",
    "responses",
    "satisfied_responses",
)
# The one-row-per-response survey export (SOURCES.md §5), with the portal's Vietnamese headers.
SATISFACTION_RESPONSE_HEADERS: dict[str, str] = {
    "response_id": "Mã đánh giá",
    "province_code": "Mã tỉnh",
    "agency_code": "Mã cơ quan",
    "agency_name": "Tên cơ quan",
    "procedure_field": "Lĩnh vực",
    "rated_at": "Thời gian đánh giá",
    "score": "Điểm",
}
PROCEDURE_COLUMNS = (
    "province_code",
    "procedure_code",
    "procedure_name",
    "procedure_field",
    "authority_level",
    "online_capability",
    "fee_required",
    "online_payment_enabled",
    "national_portal_integrated",
)


@dataclass(frozen=True)
class FileFormat:
    kind: str  # parquet | csv
    vietnamese_headers: bool = False
    bom: bool = False

    @property
    def suffix(self) -> str:
        return ".parquet" if self.kind == "parquet" else ".csv"

    @property
    def label(self) -> str:
        parts = [self.kind]
        if self.vietnamese_headers:
            parts.append("vietnamese_headers")
        if self.bom:
            parts.append("utf8_bom")
        return "+".join(parts)


def write_csv_frame(frame: pl.DataFrame, handle: BinaryIO, *, header: bool) -> None:
    frame.write_csv(handle, include_header=header, datetime_format=CSV_DATETIME)


class TableWriter:
    """One output file, appended chunk by chunk (CSV directly, Parquet in bounded row groups)."""

    def __init__(self, path: Path, file_format: FileFormat, rename: dict[str, str] | None = None):
        self.path = path
        self.format = file_format
        self.rename = rename or {}
        self.rows = 0
        self._handle: BinaryIO | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._buffer: list[pl.DataFrame] = []
        self._buffered = 0

    def write(self, frame: pl.DataFrame) -> None:
        if frame.height == 0 and self.rows > 0:
            return
        if self.rename:
            frame = frame.rename(self.rename)
        self.rows += frame.height
        if self.format.kind == "csv":
            first = self._handle is None
            if self._handle is None:
                self._handle = self.path.open("wb")
                if self.format.bom:
                    self._handle.write(UTF8_BOM)
            write_csv_frame(frame, self._handle, header=first)
        else:
            self._buffer.append(frame)
            self._buffered += frame.height
            if self._buffered >= PARQUET_ROW_GROUP:
                self._flush_parquet()

    def _flush_parquet(self) -> None:
        if not self._buffer:
            return
        # The oldest compatibility level gives Arrow's large_string instead of string views,
        # which every Parquet reader understands.
        table = pl.concat(self._buffer).to_arrow(compat_level=pl.CompatLevel.oldest())
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._parquet.write_table(table)
        self._buffer, self._buffered = [], 0

    def close(self) -> None:
        if self.format.kind == "csv":
            if self._handle is not None:
                self._handle.close()
        else:
            self._flush_parquet()
            if self._parquet is not None:
                self._parquet.close()


@dataclass
class WrittenFile:
    source: str
    path: Path
    file_format: str
    rows: int
    province_code: str | None = None
    era: str | None = None
    first_month: str | None = None
    last_month: str | None = None
    notes: list[str] = field(default_factory=list)


def payments_for(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Fee transactions of a chunk's dossiers: one settled payment per dossier with a fee
    (refunded when the dossier was returned), after an occasional failed online attempt."""
    fee = frame.filter(pl.col("fee_amount_vnd") > 0).select(
        "dossier_id", "province_code", "fee_amount_vnd", "paid_online", "channel", "status",
        "received_at",
    )  # fmt: skip
    rows = fee.height
    online_channel = (fee["channel"] == "online").to_numpy()
    paid_online = fee["paid_online"].to_numpy()
    # A failed card/QR attempt precedes some online payments, and some applicants who applied
    # online gave up paying online and paid at the counter later.
    failed_first = (paid_online & (rng.random(rows) < 0.05)) | (
        online_channel & ~paid_online & (rng.random(rows) < 0.3)
    )
    delay = np.where(
        paid_online, rng.integers(60, 1800, size=rows), rng.integers(0, 600, size=rows)
    ) + np.where(failed_first, 900, 0)
    settled = fee.with_columns(
        (pl.col("received_at") + pl.Series(delay * 1_000_000).cast(pl.Duration("us"))).alias(
            "paid_at"
        ),
        pl.Series(failed_first).alias("failed_first"),
    )
    main = settled.select(
        pl.concat_str(
            pl.lit("TT"),
            pl.col("dossier_id"),
            pl.when("failed_first").then(pl.lit("-2")).otherwise(pl.lit("-1")),
        ).alias("transaction_id"),
        "dossier_id",
        "province_code",
        pl.col("fee_amount_vnd").alias("amount_vnd"),
        pl.when("paid_online").then(pl.lit("online")).otherwise(pl.lit("offline")).alias("channel"),
        pl.when(pl.col("status") == STATUS_NAMES[2])
        .then(pl.lit("refunded"))
        .otherwise(pl.lit("success"))
        .alias("status"),
        "paid_at",
    )
    failed = settled.filter("failed_first").select(
        pl.concat_str(pl.lit("TT"), pl.col("dossier_id"), pl.lit("-1")).alias("transaction_id"),
        "dossier_id",
        "province_code",
        pl.col("fee_amount_vnd").alias("amount_vnd"),
        pl.lit("online").alias("channel"),
        pl.lit("failed").alias("status"),
        (pl.col("paid_at") - pl.duration(seconds=120)).alias("paid_at"),
    )
    return pl.concat([main, failed]).sort("paid_at", "transaction_id")
