import { packageConfig } from '../../vitest.shared.ts';

export default packageConfig('@ntbsim/ntb-pingpong');
