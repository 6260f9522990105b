// GPS tracker: scaled coordinates, the fix's age against the uplink's receive time.
function int32BE(bytes, i) {
  return (bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3];
}

function decodeUplink(input) {
  var bytes = input.bytes;
  var age = (bytes[8] << 8) | bytes[9];
  var fixed = new Date(input.recvTime.getTime() - age * 1000);
  return {
    data: {
      latitude: int32BE(bytes, 0) / Math.pow(10, 7),
      longitude: int32BE(bytes, 4) / Math.pow(10, 7),
      fixTime: fixed.toISOString(),
      accuracy: Math.pow(2, bytes[10] >> 4)
    }
  };
}

function normalizeUplink(input) {
  return {
    data: {
      time: input.data.fixTime,
      position: { latitude: input.data.latitude, longitude: input.data.longitude }
    }
  };
}
