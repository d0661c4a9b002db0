/**
 * The lab's iperf3 (esnet iperf3 3.12): the `iperf3` command and the accessor of what its
 * servers print.
 */
export { iperf3, oneShotServerError } from './command.js';
export { takeServerOutput } from '../net/background.js';
export { serversOn, serverTestsRunning, stopServers } from './server.js';
