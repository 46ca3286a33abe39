"""The fake bank behind the open-banking HTTP protocol: in-process (an httpx transport, for tests) or
as a small HTTP server in its own process (the crash drill, where many workers share one bank).

A fake-bank timeout is answered ``504`` (the caller cannot tell whether the bank acted); the codes
are :data:`cartax.payout.adapters.openbanking.BANK_CODES`.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from cartax.payout.adapters.fake_bank import BankTimeoutError, FakeBank
from cartax.payout.model import BankOutcome, FailReason, HolderCheck
from cartax.payout.ports import TransferOrder

CODE = {
    BankOutcome.SUCCEEDED: "000",
    BankOutcome.DUPLICATE: "114",
    BankOutcome.UNKNOWN: "115",
    BankOutcome.NOT_FOUND: "116",
}
FAIL_CODE = {
    FailReason.ACCOUNT_NOT_FOUND: "111",
    FailReason.ACCOUNT_CLOSED: "112",
    FailReason.HOLDER_MISMATCH: "113",
    FailReason.REJECTED: "119",
}


def respond(bank: FakeBank, path: str, body: dict[str, Any], token: str | None) -> tuple[int, dict[str, Any]]:
    """The fake bank's answer to one call: (HTTP status, JSON body)."""
    if not token:
        return 401, {"rsp_code": "O0001", "rsp_message": "access token required"}
    try:
        if path == "/v2.0/inquiry/real_name":
            return 200, _real_name(bank, body)
        if path == "/v2.0/transfer/deposit/acnt_num":
            return 200, _deposit(bank, body)
        if path == "/v2.0/transfer/result":
            return 200, _result(bank, body)
    except BankTimeoutError:
        return 504, {"rsp_code": "A0007", "rsp_message": "timeout"}
    except (KeyError, ValueError, TypeError):
        return 400, {"rsp_code": "A0002", "rsp_message": "malformed request"}
    return 404, {"rsp_code": "A0004", "rsp_message": "no such API"}


def _real_name(bank: FakeBank, body: dict[str, Any]) -> dict[str, Any]:
    answer = bank.check_holder(body["bank_code_std"], body["account_num"], body.get("expected_holder_name"))
    code = {HolderCheck.VERIFIED: "000", HolderCheck.CLOSED: "112", HolderCheck.NOT_FOUND: "111"}
    return {
        "rsp_code": "A0000",
        "bank_tran_id": body["bank_tran_id"],
        "bank_code_std": body["bank_code_std"],
        "bank_rsp_code": code.get(answer.check, "119"),
        "account_holder_name": answer.holder or "",
    }


def _deposit(bank: FakeBank, body: dict[str, Any]) -> dict[str, Any]:
    item = body["req_list"][0]
    day = datetime.strptime(body["tran_dtime"][:8], "%Y%m%d").date()
    order = TransferOrder(
        item["bank_tran_id"], day, item["bank_code_std"], item["account_num"], item["account_holder_name"],
        int(item["tran_amt"]), item["req_client_num"], item.get("print_content", ""),
    )  # fmt: skip
    outcome = bank.transfer(order)
    return _answer(item["bank_tran_id"], day, outcome)


def _result(bank: FakeBank, body: dict[str, Any]) -> dict[str, Any]:
    item = body["req_list"][0]
    day = datetime.strptime(item["org_bank_tran_date"], "%Y%m%d").date()
    outcome = bank.inquire(item["org_bank_tran_id"], day, int(item["org_tran_amt"]))
    return _answer(item["org_bank_tran_id"], day, outcome)


def _answer(transfer_id: str, day: Any, outcome: BankOutcome) -> dict[str, Any]:
    code = CODE.get(outcome.status) or FAIL_CODE.get(outcome.reason or FailReason.REJECTED, "119")
    item = {
        "tran_no": "1",
        "bank_tran_id": transfer_id,
        "bank_tran_date": f"{day:%Y%m%d}",
        "bank_rsp_code": code,
        "tran_amt": str(outcome.amount) if outcome.amount is not None else "",
    }
    return {"rsp_code": "A0000", "res_cnt": "1", "res_list": [item]}


def mock_transport(bank: FakeBank) -> httpx.MockTransport:
    """The fake bank as an httpx transport (no network)."""

    def handle(request: httpx.Request) -> httpx.Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        status, body = respond(bank, request.url.path, json.loads(request.content or b"{}"), token)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


def serve(bank: FakeBank, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Serve the fake bank over HTTP in a background thread; ``server.server_address`` says where."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = {}
            status, answer = respond(bank, self.path, body, token)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: ARG002 - requests are not logged
            return  # requests carry account numbers: never logged

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="fake-bank", daemon=True).start()
    return server
