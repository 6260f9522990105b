// ES2015+, as newer codecs are written: const/let, arrows, classes, DataView.
const UNITS = new Map([[0, 'L'], [1, 'm3']]);

class Reader {
  constructor(bytes) {
    this.view = new DataView(Uint8Array.from(bytes).buffer);
    this.offset = 0;
  }
  float32() {
    const value = this.view.getFloat32(this.offset, true);
    this.offset += 4;
    return value;
  }
  uint8() {
    return this.view.getUint8(this.offset++);
  }
}

function decodeUplink({ bytes, fPort }) {
  const reader = new Reader(bytes);
  const unit = UNITS.get(reader.uint8()) ?? 'unknown';
  const total = Math.round(reader.float32() * 100) / 100;
  const flags = reader.uint8();
  const alarms = ['leak', 'backflow', 'tamper'].filter((_, bit) => flags & (1 << bit));
  const data = { unit, total, alarms, port: fPort };
  return { data, warnings: alarms.length ? [`alarms: ${alarms.join(', ')}`] : [] };
}

function normalizeUplink({ data }) {
  const litres = data.unit === 'm3' ? data.total * 1000 : data.total;
  return {
    data: { metering: { water: { total: litres } }, water: { leak: data.alarms.includes('leak') } }
  };
}
