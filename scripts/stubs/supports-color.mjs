// debug (dockerode's logger) requires supports-color if it is installed, for 256-colour output. It is
// not a production dependency: only a dev tool brings it into node_modules, so bundling it would make
// the executable depend on whether devDependencies were installed. This stub says "no colour
// support", as debug assumes when the package is absent.
export default { stdout: false, stderr: false };
