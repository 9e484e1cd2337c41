// dockerode pulls in ssh2 (ssh:// engines) and gRPC/protobuf (BuildKit sessions). blueprint only
// talks to the engine over a unix socket, so the bundle gets this stub instead: loading those
// libraries cost ~0.7 s at every engine command.
const unavailable = () => {
  throw new Error('not bundled: blueprint reaches the container engine only over a unix socket');
};
export default new Proxy({}, { get: () => unavailable });
export const Client = unavailable;
