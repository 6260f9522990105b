// The app's tests against a running `mockserver serve` (its URL in MOCKSERVER_URL), with
// Node's own test runner: `node --test`.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { KpnCommands, TtsCommands } from "../commands.mjs";

const URL = process.env.MOCKSERVER_URL ?? "http://127.0.0.1:8080";

async function admin(path, init) {
  const response = await fetch(`${URL}/_mock${path}`, init);
  assert.ok(response.ok, `${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}

// Once, not before each test: a reset also clears the contract findings the job's report
// is made of at the end.
before(() => admin("/reset", { method: "POST" }));

test("a TTS reboot reaches the device's queue", async () => {
  await new TtsCommands(URL, "NNSXS.XXXXXXXXX", "app1", "wh1").reboot("dev1");
  const queue = await admin("/devices/app1.dev1/queue");
  assert.deepEqual(queue.map((d) => [d.f_port, d.frm_payload]), [[1, "AQ=="]]);
});

test("a KPN LoRa downlink is created and met its description", async () => {
  const created = await new KpnCommands(URL, "demo-client", "demo-secret").setInterval(
    "0004A30B001A2B3C",
    10,
  );
  assert.equal(created.status, "PENDING");
  const journal = await admin("/journal?provider=kpn");
  const create = journal.find((entry) => entry.operation === "kpn.createLoraDownlink");
  assert.ok(create, "the journal has the create");
  assert.equal(create.response.status, 201);
  assert.equal(create.valid, true);
  assert.deepEqual(create.violations, []);
});
