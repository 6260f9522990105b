'use strict';
// Channel/type records, little endian, as many vendors' sensors send them.
function readInt16LE(bytes, i) {
  var value = (bytes[i + 1] << 8) | bytes[i];
  return value > 0x7fff ? value - 0x10000 : value;
}

function decodeUplink(input) {
  var bytes = input.bytes;
  var data = {};
  var warnings = [];
  for (var i = 0; i < bytes.length; ) {
    var channel = bytes[i++];
    var type = bytes[i++];
    if (channel === 0x01 && type === 0x75) {
      data.battery = bytes[i] / 10;
      i += 1;
    } else if (channel === 0x03 && type === 0x67) {
      data.temperature = readInt16LE(bytes, i) / 10;
      i += 2;
    } else if (channel === 0x04 && type === 0x68) {
      data.humidity = bytes[i] / 2;
      i += 1;
    } else {
      return { errors: ['unknown channel ' + channel + ' type ' + type] };
    }
  }
  if (data.battery !== undefined && data.battery < 2.5) {
    warnings.push('battery low');
  }
  return { data: data, warnings: warnings };
}

function normalizeUplink(input) {
  var measurement = { air: {} };
  if (input.data.temperature !== undefined) measurement.air.temperature = input.data.temperature;
  if (input.data.humidity !== undefined) measurement.air.relativeHumidity = input.data.humidity;
  if (input.data.battery !== undefined) measurement.battery = input.data.battery;
  return { data: measurement };
}
