// TTN v2 payload functions, which TTS still runs when there is no decodeUplink or
// encodeDownlink.
function Decoder(bytes, port) {
  var decoded = {};
  if (port === 1) {
    decoded.counter = (bytes[0] << 8) | bytes[1];
    decoded.led = bytes[2] === 1;
  }
  return decoded;
}

function Encoder(object, port) {
  var bytes = [];
  bytes.push(object.led ? 1 : 0);
  return bytes;
}
