// A valve: commands down, their echo up. ES5 with lookup tables.
var COMMANDS = { close: 0, open: 1, half: 2 };
var NAMES = ['close', 'open', 'half'];

function encodeDownlink(input) {
  var command = COMMANDS[input.data.position];
  if (command === undefined) {
    return { errors: ['invalid position ' + input.data.position] };
  }
  var seconds = input.data.seconds || 0;
  if (seconds > 65535) {
    return { errors: ['seconds too large'], warnings: ['ignored'] };
  }
  var result = { bytes: [command, (seconds >> 8) & 0xff, seconds & 0xff], fPort: 20 };
  if (seconds === 0) result.warnings = ['no timeout set'];
  return result;
}

function decodeDownlink(input) {
  if (input.fPort !== 20) return { errors: ['unknown FPort ' + input.fPort] };
  return {
    data: { position: NAMES[input.bytes[0]], seconds: (input.bytes[1] << 8) | input.bytes[2] }
  };
}
