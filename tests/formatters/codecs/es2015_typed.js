// ES2015+: const/let, arrows, destructuring, template literals, typed arrays, hex helpers.
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const COMMANDS = new Map([["reboot", 0x01], ["interval", 0x02], ["threshold", 0x03]]);

function encodeDownlink({ data: { command, seconds = 0, celsius = 0 }, fPort }) {
  if (!COMMANDS.has(command)) {
    return { errors: [`unknown command ${command}`] };
  }
  const bytes = new Uint8Array(5);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, COMMANDS.get(command));
  view.setUint16(1, seconds);
  view.setInt16(3, Math.round(celsius * 10));
  const warnings = seconds > 3600 ? [`long interval ${toHex(bytes)}`] : [];
  return { bytes, fPort: fPort || 20, warnings };
}

function decodeDownlink({ bytes }) {
  const view = new DataView(Uint8Array.from(bytes).buffer);
  const [command] = [...COMMANDS].find(([, code]) => code === view.getUint8(0)) || ["unknown"];
  return { data: { command, seconds: view.getUint16(1), celsius: view.getInt16(3) / 10 } };
}

function decodeUplink({ bytes, fPort }) {
  const view = new DataView(Uint8Array.from(bytes).buffer);
  return {
    data: { temperature: view.getInt16(0) / 100, humidity: bytes[2] / 2, raw: toHex(bytes), fPort },
  };
}

function normalizeUplink({ data }) {
  return { data: { air: { temperature: data.temperature, relativeHumidity: data.humidity } } };
}
