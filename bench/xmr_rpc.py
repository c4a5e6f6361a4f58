#!/usr/bin/env python3
"""Monero ingest throughput over a real monerod's RPC.

Starts `monerod --regtest --offline` on free loopback ports, submits the bundled
chain (fixtures/monero-regtest: 985 blocks, 1,931 transactions written by real
wallets), then times, in the same run:
  - a plain pass: the same RPC calls the ingest makes (get_block per height,
    get_transactions with output indices per block), answers parsed, nothing kept;
  - `chainsleuth xmr ingest --rpc` (fetch, decode, check, index, commit);
  - `chainsleuth xmr ingest --blobs` over the same chain from disk.
Prints tx/s for each and the ratios.

    python3 bench/xmr_rpc.py      (needs Debian's monero package and a release build)
"""
import http.client, json, os, shutil, socket, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "fixtures", "monero-regtest")
BIN = os.path.join(ROOT, "target", "release", "chainsleuth")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rpc:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, path, body):
        self.conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        return json.loads(self.conn.getresponse().read())

    def call(self, method, params):
        r = self.post("/json_rpc", {"jsonrpc": "2.0", "id": "0", "method": method, "params": params})
        if "error" in r:
            raise RuntimeError(f"{method}: {r['error']}")
        return r["result"]


def main():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "chainsleuth"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="chainsleuth-xmr-rpc-")
    rpc_port, p2p_port = free_port(), free_port()
    log = os.path.join(work, "monerod.log")
    node = subprocess.Popen(
        ["monerod", "--regtest", "--offline", "--fixed-difficulty", "1", "--no-igd", "--hide-my-port", "--no-zmq",
         "--disable-dns-checkpoints", "--non-interactive", "--p2p-bind-ip", "127.0.0.1", "--rpc-bind-ip", "127.0.0.1",
         f"--rpc-bind-port={rpc_port}", f"--p2p-bind-port={p2p_port}", f"--data-dir={work}/data", f"--log-file={log}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        rpc = None
        deadline = time.time() + 90
        while True:
            if node.poll() is not None:
                sys.exit(f"monerod exited before answering; see {log}")
            try:
                rpc = Rpc(rpc_port)
                rpc.call("get_info", {})
                break
            except (OSError, http.client.HTTPException, RuntimeError):
                if time.time() > deadline:
                    sys.exit(f"monerod did not answer within 90 s; see {log}")
                time.sleep(0.25)
        truth = json.load(open(os.path.join(FIXTURE, "ground_truth.json")))
        started = time.time()
        for b in truth["blocks"][1:]:
            for txid in b["txids"]:
                hex_tx = open(os.path.join(FIXTURE, "txs", f"{txid}.hex")).read().strip()
                r = rpc.post("/send_raw_transaction", {"tx_as_hex": hex_tx, "do_not_relay": True})
                if r.get("status") != "OK":
                    sys.exit(f"send_raw_transaction at height {b['height']}: {r}")
            blob = open(os.path.join(FIXTURE, "blocks", f"{b['height']:06}.hex")).read().strip()
            rpc.call("submit_block", [blob])
        blocks = rpc.call("get_block_count", {})["count"]
        print(f"loaded {blocks} blocks into monerod in {time.time() - started:.1f} s")

        # Plain pass: the ingest's RPC calls, answers parsed and dropped.
        started = time.time()
        txs = 0
        for h in range(blocks):
            r = rpc.call("get_block", {"height": h})
            hashes = r.get("tx_hashes", [])
            txs += 1 + len(hashes)
            if hashes:
                rpc.post("/get_transactions", {"txs_hashes": hashes, "decode_as_json": False})
        plain = time.time() - started
        print(f"plain RPC pass: {txs} txs in {plain:.2f} s = {txs / plain:.0f} tx/s")

        def ingest(args, name):
            out = subprocess.run([BIN, "xmr", "ingest", *args, "--data-dir", os.path.join(work, name), "--json"],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            return r["txs"], r["elapsed"]

        n, t = ingest(["--rpc", f"http://127.0.0.1:{rpc_port}"], "rpc-index")
        print(f"xmr ingest --rpc: {n} txs in {t:.2f} s = {n / t:.0f} tx/s; {t / plain:.2f}x the plain RPC pass")
        nb, tb = ingest(["--blobs", FIXTURE], "blob-index")
        print(f"xmr ingest --blobs (same chain): {nb} txs in {tb:.2f} s = {nb / tb:.0f} tx/s; "
              f"RPC ingest takes {t / tb:.1f}x the blob ingest")
    finally:
        node.kill()
        node.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
