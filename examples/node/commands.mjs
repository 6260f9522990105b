// The sample application: commands sent to devices through The Things Stack (webhook
// downlink API) and KPN Things (LoRa downlinks API). Plain fetch, as a Node service would.

export class TtsCommands {
  constructor(baseUrl, apiKey, applicationId, webhookId) {
    Object.assign(this, { baseUrl, apiKey, applicationId, webhookId });
  }

  async reboot(deviceId) {
    const url = `${this.baseUrl}/api/v3/as/applications/${this.applicationId}` +
      `/webhooks/${this.webhookId}/devices/${deviceId}/down/push`;
    const response = await fetch(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${this.apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ downlinks: [{ frm_payload: "AQ==", f_port: 1, priority: "NORMAL" }] }),
    });
    if (!response.ok) throw new Error(`TTS answered ${response.status}: ${await response.text()}`);
  }
}

export class KpnCommands {
  constructor(baseUrl, clientId, clientSecret) {
    Object.assign(this, { baseUrl, clientId, clientSecret });
  }

  async token() {
    const response = await fetch(`${this.baseUrl}/api/v3/idp/oidc/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        grant_type: "client_credentials",
        audience: "4dc82561-f65f-523g-dek9-6c79ec314f02",
        client_id: this.clientId,
        client_secret: this.clientSecret,
      }),
    });
    if (!response.ok) throw new Error(`KPN token: ${response.status}: ${await response.text()}`);
    return (await response.json()).access_token;
  }

  // Returns the downlink KPN created (its id and status).
  async setInterval(devEui, minutes) {
    const response = await fetch(`${this.baseUrl}/lora/downlinks`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${await this.token()}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({
        deviceId: `urn:dev:deveui:${devEui.toLowerCase()}`,
        message: { payloadHex: minutes.toString(16).padStart(4, "0"), fPort: 1 },
        feedbackTimeout: "PT10M",
      }),
    });
    if (response.status !== 201) {
      throw new Error(`KPN answered ${response.status}: ${await response.text()}`);
    }
    return response.json();
  }
}
