// `snappy.compress` / `snappy.decompress`, as DESIGN.md names them.
export { compress, decompress, snappyDeclaredLength as declaredLength, initSnappy as init } from "./snappy.ts";
