// ES5, the way many vendor codecs are still written: var, lookup tables, bit fields.
var MODES = ["off", "eco", "comfort", "boost"];
var FLAGS = { led: 0x01, buzzer: 0x02, lock: 0x04 };

function encodeDownlink(input) {
  var mode = MODES.indexOf(input.data.mode);
  if (mode < 0) {
    return { errors: ["unknown mode " + input.data.mode] };
  }
  var flags = 0;
  for (var name in FLAGS) {
    if (input.data[name]) flags |= FLAGS[name];
  }
  var minutes = input.data.minutes || 0;
  return { bytes: [(mode << 4) | flags, (minutes >> 8) & 0xff, minutes & 0xff], fPort: 10 };
}

function decodeDownlink(input) {
  var data = { mode: MODES[input.bytes[0] >> 4], minutes: (input.bytes[1] << 8) | input.bytes[2] };
  for (var name in FLAGS) {
    data[name] = (input.bytes[0] & FLAGS[name]) !== 0;
  }
  return { data: data };
}

function decodeUplink(input) {
  var warnings = [];
  var battery = input.bytes[0] / 10;
  if (battery < 3.3) warnings.push("low battery");
  return { data: { battery: battery, open: (input.bytes[1] & 0x80) !== 0, port: input.fPort }, warnings: warnings };
}
