/******/ (() => { // webpackBootstrap
/******/ 	var __webpack_modules__ = ({});
/******/ 	__webpack_require__.h = () => ("8c1f4a0e1b2c3d4e");
/******/ 	__webpack_require__.hmd = (module) => { module.sha256 = 'contenthash'; return module; };
/******/ 	var getFullHash = () => __webpack_require__.h();
/******/ 	var md5Cache = {}; var des = 0; var rsaKeyId = 'k1';
/******/ })();
